package dev.assemblyline.mcp;

import dev.assemblyline.model.Session;
import dev.assemblyline.pipeline.SessionRegistry;
import dev.assemblyline.web.AuthGuard;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Who may use {@code /mcp}: a session, by its token in {@code Authorization: Bearer}, checked in constant
 * time before the MCP transport reads the request; no token or a wrong one gets 401 and no tools. The
 * session travels to the tools as a request attribute, read into the MCP transport context by
 * {@link #SESSION}. See docs/agents.md and docs/security.md.
 */
public final class McpGate extends HttpServlet {
    /** The request attribute (and transport-context key) holding the calling {@link Session}. */
    public static final String SESSION = "assembly.mcp.session";

    private final HttpServlet mcp;
    private final SessionRegistry sessions;
    private final AuthGuard guard;
    /** Largest request body: tool arguments are small (a SPEC.md to check is the largest). */
    static final long MAX_BODY = 1024 * 1024;
    /** Which of the line's sessions opened each MCP session (the newest 100,000): no one else may use it. */
    private final java.util.Map<String, String> owners = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<String, String>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, String> eldest) {
                    return size() > 100_000;
                }
            });

    public McpGate(HttpServlet mcp, SessionRegistry sessions, AuthGuard guard) {
        this.mcp = mcp;
        this.sessions = sessions;
        this.guard = guard;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        mcp.init(config);
    }

    @Override
    public void destroy() {
        mcp.destroy();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String address = req.getRemoteAddr();
        if (guard.blocked(address)) {
            resp.setStatus(429);
            resp.setHeader("Retry-After", "60");
            write(resp, "too many failed token checks from " + address + "; wait a minute");
            return;
        }
        String header = req.getHeader("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
        Optional<Session> s = token == null || token.isEmpty() ? Optional.empty() : sessions.authenticate(token);
        if (s.isEmpty()) {
            if (token != null) {
                guard.failed(address, "mcp");
            }
            resp.setStatus(401);
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"Assembly Line\"");
            write(resp, token == null ? "MCP needs a session's token: Authorization: Bearer <token> (docs/agents.md)"
                    : "token not valid for any session");
            return;
        }
        String mcpSession = req.getHeader("Mcp-Session-Id");
        String owner = mcpSession == null ? null : owners.get(mcpSession);
        if (owner != null && !owner.equals(s.get().id())) {
            // another session's MCP session: its stream and notices are not this token's to read, nor to end
            resp.setStatus(404);
            write(resp, "no such MCP session for this token: initialize your own");
            return;
        }
        if (req.getContentLengthLong() > MAX_BODY) {
            resp.setStatus(413);
            write(resp, "an MCP request is at most " + MAX_BODY / 1024 + " KB");
            return;
        }
        if (!"POST".equals(req.getMethod()) && mcpSession == null) {
            // said here: the SDK's own answer to this carries its Java stack trace
            resp.setStatus(400);
            write(resp, req.getMethod() + " /mcp needs the Mcp-Session-Id header that initialize answered with");
            return;
        }
        req.setAttribute(SESSION, s.get());
        mcp.service(req, resp);
        String started = mcpSession == null ? resp.getHeader("Mcp-Session-Id") : null;
        if (started != null) {
            owners.put(started, s.get().id()); // initialize answered: this MCP session is this token's
        }
    }

    private static void write(HttpServletResponse resp, String message) throws IOException {
        resp.setContentType("application/json; charset=utf-8");
        resp.getWriter().write("{\"error\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(message) + "}\n");
    }
}
