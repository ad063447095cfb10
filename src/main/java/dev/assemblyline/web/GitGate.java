package dev.assemblyline.web;

import dev.assemblyline.git.HostedRepo;
import dev.assemblyline.model.Session;
import dev.assemblyline.pipeline.SessionRegistry;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Who may use the hosted repository: HTTP Basic with a session's id and token, or {@code admin} and the
 * admin token, checked in constant time before git sees the request. Pushes always need them; fetches
 * too unless {@code ASSEMBLY_PUBLIC_READ=1}. A missing or wrong credential gets 401 with a
 * {@code WWW-Authenticate} header, so git asks for one. The pusher and whether it is admin travel to
 * {@link HostedRepo}'s receive hook as request attributes (docs/security.md).
 */
public final class GitGate extends HttpServlet {
    private static final String REALM = "Basic realm=\"Assembly Line\", charset=\"UTF-8\"";

    private final HttpServlet git;
    private final SessionRegistry sessions;
    private final AuthGuard guard;
    private final boolean publicRead;

    public GitGate(HttpServlet git, SessionRegistry sessions, AuthGuard guard, boolean publicRead) {
        this.git = git;
        this.sessions = sessions;
        this.guard = guard;
        this.publicRead = publicRead;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        git.init(config);
    }

    @Override
    public void destroy() {
        git.destroy();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        // a fetch only when it is clearly one (decoded path, parsed query); anything else counts as a push
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        boolean fetch = path.endsWith("/git-upload-pack")
                || path.endsWith("/info/refs") && "git-upload-pack".equals(req.getParameter("service"));
        boolean push = !fetch;
        if (fetch && publicRead) {
            git.service(req, resp);
            return;
        }
        String address = req.getRemoteAddr();
        if (guard.blocked(address)) {
            resp.setStatus(429);
            resp.setHeader("Retry-After", "60");
            resp.setContentType("text/plain; charset=utf-8");
            resp.getWriter().write("too many failed sign-ins from " + address + "; wait a minute\n");
            return;
        }
        String header = req.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            challenge(resp, (push ? "pushing" : "fetching") + " needs a session id and its token (or admin and the admin token)");
            return;
        }
        String user;
        String password;
        try {
            String pair = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
            int colon = pair.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("no colon");
            }
            user = pair.substring(0, colon);
            password = pair.substring(colon + 1);
        } catch (IllegalArgumentException e) {
            guard.failed(address, "git");
            challenge(resp, "the Authorization header is not HTTP Basic");
            return;
        }
        boolean admin = "admin".equals(user) && sessions.isAdmin(password);
        Optional<Session> session = admin ? Optional.empty() : sessions.authenticate(password).filter(s -> s.id().equals(user));
        if (!admin && session.isEmpty()) {
            guard.failed(address, "git");
            challenge(resp, "wrong session id or token");
            return;
        }
        req.setAttribute(HostedRepo.PUSHER, admin ? "admin" : session.get().id());
        req.setAttribute(HostedRepo.ADMIN, admin);
        git.service(req, resp);
    }

    private static void challenge(HttpServletResponse resp, String why) throws IOException {
        resp.setStatus(401);
        resp.setHeader("WWW-Authenticate", REALM);
        resp.setContentType("text/plain; charset=utf-8");
        resp.getWriter().write(why + "\n");
    }
}
