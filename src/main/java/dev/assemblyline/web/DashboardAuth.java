package dev.assemblyline.web;

import dev.assemblyline.model.Session;
import dev.assemblyline.pipeline.SessionRegistry;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who is looking at the dashboard. A viewer signs in once with a token (the dashboard's own
 * {@code ASSEMBLY_DASHBOARD_TOKEN}, the admin's, or a session's) and gets a cookie signed with a key
 * derived from the admin token: HttpOnly, SameSite=Strict, a week long, still valid after a restart. Only a
 * session's sign-in may act (claim, release, done) and only for that session; the others read. With no
 * dashboard token set, reading needs no sign-in. See docs/dashboard.md, "Signing in".
 */
public final class DashboardAuth {
    static final String COOKIE = "assembly_dashboard";
    /** The header a page's own requests carry: a cross-site form cannot set it (no CSRF through the cookie). */
    static final String PAGE_HEADER = "X-Assembly-Dashboard";
    private static final Duration LIFETIME = Duration.ofDays(7);

    /** A signed-in (or anonymous) viewer; {@code session} set when it signed in with a session's token. */
    public record Viewer(String kind, Session session) {
        static final Viewer ANONYMOUS = new Viewer("anonymous", null);

        boolean signedIn() {
            return !"anonymous".equals(kind);
        }
    }

    private final String dashboardToken;
    private final SessionRegistry sessions;
    private final java.util.function.Function<String, Optional<Session>> sessionById;
    private final byte[] key;
    private final Clock clock;
    private final boolean secureCookie;

    /**
     * @param dashboardToken null: reading is open to anyone
     * @param secureCookie   the public URL is https: the cookie is sent over https only
     */
    public DashboardAuth(String dashboardToken, String adminToken, SessionRegistry sessions,
                         java.util.function.Function<String, Optional<Session>> sessionById, Clock clock, boolean secureCookie) {
        this.dashboardToken = dashboardToken;
        this.sessions = sessions;
        this.sessionById = sessionById;
        this.clock = clock;
        this.secureCookie = secureCookie;
        this.key = sha256("assembly-line dashboard cookie\n" + (adminToken == null ? "" : adminToken));
    }

    public boolean required() {
        return dashboardToken != null;
    }

    /** Who a token signs in as, or empty for a wrong token. */
    Optional<Viewer> byToken(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        if (dashboardToken != null && MessageDigest.isEqual(sha256(token), sha256(dashboardToken))) {
            return Optional.of(new Viewer("viewer", null));
        }
        if (sessions.isAdmin(token)) {
            return Optional.of(new Viewer("admin", null));
        }
        return sessions.authenticate(token).map(s -> new Viewer("session", s));
    }

    /** The viewer of a request: a bearer token, else the cookie, else anonymous. */
    Viewer viewer(Context ctx) {
        String auth = ctx.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return byToken(auth.substring(7).trim()).orElse(Viewer.ANONYMOUS);
        }
        return fromCookie(ctx.cookie(COOKIE)).orElse(Viewer.ANONYMOUS);
    }

    /** The session a page acts for: a session's cookie on a request that carries the page's header. */
    public Optional<Session> actingSession(Context ctx) {
        if (ctx.header(PAGE_HEADER) == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(fromCookie(ctx.cookie(COOKIE)).map(Viewer::session).orElse(null));
    }

    void signIn(Context ctx, Viewer v) {
        long expires = clock.instant().plus(LIFETIME).getEpochSecond();
        String payload = v.kind() + "\n" + (v.session() == null ? "" : v.session().id()) + "\n" + expires;
        String value = b64(payload.getBytes(StandardCharsets.UTF_8)) + "." + b64(mac(payload));
        ctx.header("Set-Cookie", COOKIE + "=" + value + "; Path=/; Max-Age=" + LIFETIME.toSeconds() + "; HttpOnly; SameSite=Strict"
                + (secureCookie ? "; Secure" : ""));
    }

    void signOut(Context ctx) {
        ctx.header("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : ""));
    }

    Optional<Viewer> fromCookie(String value) {
        if (value == null) {
            return Optional.empty();
        }
        int dot = value.indexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        try {
            byte[] payload = Base64.getUrlDecoder().decode(value.substring(0, dot));
            byte[] sig = Base64.getUrlDecoder().decode(value.substring(dot + 1));
            String text = new String(payload, StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(sig, mac(text))) {
                return Optional.empty();
            }
            String[] parts = text.split("\n", -1);
            if (parts.length != 3 || Long.parseLong(parts[2]) < clock.instant().getEpochSecond()) {
                return Optional.empty();
            }
            return switch (parts[0]) {
                case "viewer" -> dashboardToken == null ? Optional.empty() : Optional.of(new Viewer("viewer", null));
                case "admin" -> Optional.of(new Viewer("admin", null));
                // a session removed since it signed in is signed out
                case "session" -> sessionById.apply(parts[1]).map(s -> new Viewer("session", s));
                default -> Optional.empty();
            };
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private byte[] mac(String payload) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m.doFinal(payload.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
