package dev.assemblyline.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.InboxEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Verifies and reads webhook deliveries from GitHub, GitLab, Gitea/Forgejo and {@code hooks/post-receive},
 * in one order, Prow-style: secret configured, signature (constant time) before anything is parsed,
 * event type, delivery id, then the payload. Pure: storing the event is the caller's job.
 */
public final class Webhooks {
    public static final String ZERO = "0000000000000000000000000000000000000000";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    /** A provider's secret, or null when its endpoint is off. */
    public record Secrets(String github, String gitlab, String gitea, String hook, boolean insecure) {
        public String of(String provider) {
            return switch (provider) {
                case "github" -> github;
                case "gitlab" -> gitlab;
                case "gitea" -> gitea;
                case "git" -> hook;
                default -> null;
            };
        }

        public boolean enabled(String provider) {
            return of(provider) != null || insecure;
        }
    }

    /**
     * What to answer, and the event to store when there is one. {@code status} is final unless an event
     * is present: then 202 once stored, or 200 {"duplicate":true} when the delivery was seen before.
     */
    public record Outcome(int status, Map<String, Object> body, InboxEvent event) {
        static Outcome answer(int status, String key, Object value) {
            return new Outcome(status, Map.of(key, value), null);
        }
    }

    /** The answer to a forge's push while the coordinator hosts its own repository (docs/webhooks-github.md). */
    public static final String HOSTED_MODE = "this coordinator hosts its own repository, so a push to another one changes nothing here:"
            + " set ASSEMBLY_REPO_URL to this repository's clone URL (follow mode) for its webhooks to act";

    private final Secrets secrets;
    private final Supplier<String> trackedBranch;
    private final Clock clock;
    private final boolean following;

    /**
     * @param following true in follow mode (ASSEMBLY_REPO_URL): only then does a push elsewhere mean
     *                  anything; in hosted mode a verified push is answered 409 with {@link #HOSTED_MODE}
     */
    public Webhooks(Secrets secrets, Supplier<String> trackedBranch, Clock clock, boolean following) {
        this.secrets = secrets;
        this.trackedBranch = trackedBranch;
        this.clock = clock;
        this.following = following;
    }

    public boolean following() {
        return following;
    }

    public Secrets secrets() {
        return secrets;
    }

    /**
     * @param header a case-insensitive header lookup
     */
    public Outcome handle(String provider, Function<String, String> header, byte[] body) {
        if (!secrets.enabled(provider)) {
            return Outcome.answer(404, "error", "the " + provider + " webhook is off: its secret is not set");
        }
        String secret = secrets.of(provider);
        if (secret != null && !verified(provider, secret, header, body)) {
            return Outcome.answer(401, "error", "signature missing or wrong");
        }
        return switch (provider) {
            case "github" -> githubLike("github", header.apply("X-GitHub-Event"), header.apply("X-GitHub-Delivery"),
                    header.apply("Content-Type"), body);
            case "gitea" -> githubLike("gitea", first(header, "X-Gitea-Event", "X-Forgejo-Event", "X-GitHub-Event"),
                    first(header, "X-Gitea-Delivery", "X-Forgejo-Delivery", "X-GitHub-Delivery"), header.apply("Content-Type"), body);
            case "gitlab" -> gitlab(header, body);
            case "git" -> postReceive(header, body);
            default -> Outcome.answer(404, "error", "unknown webhook " + provider);
        };
    }

    private boolean verified(String provider, String secret, Function<String, String> header, byte[] body) {
        return switch (provider) {
            case "github" -> Hmac.equal("sha256=" + Hmac.sha256Hex(secret, body), header.apply("X-Hub-Signature-256"));
            case "gitea" -> {
                String sig = first(header, "X-Gitea-Signature", "X-Forgejo-Signature");
                yield Hmac.equal(Hmac.sha256Hex(secret, body), sig == null ? null : sig.toLowerCase(Locale.ROOT));
            }
            case "gitlab" -> Hmac.equal(secret, header.apply("X-Gitlab-Token"));
            case "git" -> Hmac.equal("sha256=" + Hmac.sha256Hex(secret, body), header.apply("X-Assembly-Signature"));
            default -> false;
        };
    }

    private Outcome githubLike(String source, String event, String delivery, String contentType, byte[] body) {
        if (event == null) {
            return Outcome.answer(400, "error", "no event header");
        }
        if (event.equals("ping")) {
            return Outcome.answer(200, "pong", true);
        }
        if (!event.equals("push")) {
            return Outcome.answer(202, "ignored", "event " + event + " is not handled");
        }
        // GitHub's and Gitea's "form" content type: the same JSON, URL-encoded in a payload field. The
        // signature was checked over the raw body, as the forge computes it.
        boolean form = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
        JsonNode json = parse(form ? formField(body, "payload") : body);
        if (json == null) {
            return Outcome.answer(400, "error", form ? "form body has no JSON payload field" : "body is not JSON");
        }
        return push(source, delivery, body, json.path("ref").asText(null), json.path("before").asText(null),
                json.path("after").asText(null));
    }

    private Outcome gitlab(Function<String, String> header, byte[] body) {
        String event = header.apply("X-Gitlab-Event");
        if (event == null) {
            return Outcome.answer(400, "error", "no X-Gitlab-Event header");
        }
        JsonNode json = parse(body);
        if (json == null) {
            return Outcome.answer(400, "error", "body is not JSON");
        }
        if (!event.equals("Push Hook") || !"push".equals(json.path("object_kind").asText())) {
            return Outcome.answer(202, "ignored", "event " + event + " is not handled");
        }
        // "Resend request" keeps Idempotency-Key and makes a new X-Gitlab-Event-UUID: the key names the delivery
        String key = header.apply("Idempotency-Key");
        return push("gitlab", key != null && !key.isBlank() ? "idem:" + key.strip() : header.apply("X-Gitlab-Event-UUID"), body, json.path("ref").asText(null),
                json.path("before").asText(null), json.path("after").asText(null));
    }

    /** {@code hooks/post-receive}: the hook's stdin, one {@code <old> <new> <ref>} per line. */
    private Outcome postReceive(Function<String, String> header, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        String want = "refs/heads/" + trackedBranch.get();
        String[] tracked = null;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length != 3 || !SHA.matcher(parts[0]).matches() || !SHA.matcher(parts[1]).matches()) {
                return Outcome.answer(400, "error", "expected lines of '<old> <new> <ref>'");
            }
            if (parts[2].equals(want)) {
                tracked = parts;
            }
        }
        if (tracked == null) {
            return Outcome.answer(202, "ignored", "no push to the tracked branch " + trackedBranch.get());
        }
        String delivery = header.apply("X-Assembly-Delivery");
        return push("git", delivery, body, tracked[2], tracked[0], tracked[1]);
    }

    private Outcome push(String source, String delivery, byte[] body, String ref, String before, String after) {
        if (ref == null || before == null || after == null) {
            return Outcome.answer(400, "error", "push payload lacks ref, before or after");
        }
        if (!SHA.matcher(before).matches() || !SHA.matcher(after).matches() || ref.length() > 1000) {
            return Outcome.answer(400, "error", "before and after must be commit ids");
        }
        if (!following) {
            return Outcome.answer(409, "error", HOSTED_MODE);
        }
        if (!ref.equals("refs/heads/" + trackedBranch.get())) {
            return Outcome.answer(202, "ignored", "push to " + ref + ", tracked branch is " + trackedBranch.get());
        }
        String id = delivery == null || delivery.isBlank() ? "sha256:" + Hmac.sha256(body) : delivery.strip();
        if (id.length() > 200) {
            return Outcome.answer(400, "error", "delivery id longer than 200 characters");
        }
        return new Outcome(202, Map.of("accepted", true), InboxEvent.push(source, id, ref, before, after, clock.instant()));
    }

    /** One field of an {@code application/x-www-form-urlencoded} body, decoded; null when absent or not decodable. */
    static byte[] formField(byte[] body, String name) {
        String text = new String(body, StandardCharsets.UTF_8);
        for (String pair : text.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            try {
                if (java.net.URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                    return java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static JsonNode parse(byte[] body) {
        if (body == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String first(Function<String, String> header, String... names) {
        for (String n : names) {
            String v = header.apply(n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
