package dev.assemblyline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.ingest.Hmac;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.Session;
import dev.assemblyline.store.SessionStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions from sessions.json (the seed's claude_sessions.json shape, re-read when it changes), from the
 * REST API and (later) Slack; their tokens. A token is shown once and stored only as its SHA-256. A
 * session from the file without a {@code token} field gets one written to {@code <data>/tokens/<id>}
 * (mode 600), never to the log.
 */
public final class SessionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SessionStore store;
    private final TicketActions actions;
    private final Path file;
    private final Path tokenDir;
    private final String adminToken;
    private final Clock clock;
    private final Runnable onChange;
    private FileTime loaded;

    public SessionRegistry(SessionStore store, TicketActions actions, Path file, Path tokenDir, String adminToken, Clock clock, Runnable onChange) {
        this.store = store;
        this.actions = actions;
        this.file = file;
        this.tokenDir = tokenDir;
        this.adminToken = adminToken;
        this.clock = clock;
        this.onChange = onChange;
    }

    /** A session and the token to give it (null when it keeps the one it has). */
    public record Registered(Session session, String token) {
    }

    public boolean adminConfigured() {
        return adminToken != null;
    }

    public boolean isAdmin(String bearer) {
        return adminToken != null && Hmac.equal(adminToken, bearer);
    }

    public Optional<Session> authenticate(String bearer) {
        if (bearer == null || bearer.isBlank() || bearer.length() > 200) {
            return Optional.empty();
        }
        return store.sessionByToken(Tokens.hash(bearer));
    }

    /** Re-reads the sessions file when its modification time changed; a bad file is reported and ignored. */
    public synchronized void reloadIfChanged() {
        if (file == null) {
            return;
        }
        FileTime mtime;
        try {
            mtime = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
        } catch (IOException e) {
            return;
        }
        if (mtime == null || mtime.equals(loaded)) {
            return;
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                LOG.warn("{} is not a JSON object keyed by session id; keeping the sessions loaded before", file);
                loaded = mtime;
                return;
            }
            Map<String, Integer> lines = entryLines(bytes);
            Set<String> seen = new HashSet<>();
            releaseMovedSlackUsers(root);
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (ServiceName.isValid(e.getKey())) {
                    seen.add(e.getKey()); // an entry that cannot be taken keeps the session stored before: a typo drops no one
                }
                try {
                    Session s = parse(e.getKey(), e.getValue(), "file");
                    String token = text(e.getValue(), "token");
                    String hash = token != null ? Tokens.hash(token) : null;
                    if (hash == null && !store.hasToken(s.id())) {
                        hash = keptToken(s.id()); // dropped and back (a typo in its id, fixed): the token it was given, in the same write
                    }
                    store.saveSession(s, hash, clock.instant());
                    if (hash == null && !store.hasToken(s.id())) {
                        writeToken(s.id());
                    }
                    seen.add(s.id());
                } catch (dev.assemblyline.store.StoreException dup) {
                    LOG.warn("{}:{}: session '{}' not taken, its previous version and token kept: {}", file, lines.getOrDefault(e.getKey(), 0),
                            ServiceName.printable(e.getKey()),
                            dup.getMessage().toLowerCase().contains("unique") || dup.getMessage().contains("23505")
                                    ? "its token is another session's" : dup.getMessage());
                } catch (IllegalArgumentException bad) {
                    LOG.warn("{}:{}: session '{}' not taken, its previous version and token kept: {}", file, lines.getOrDefault(e.getKey(), 0),
                            ServiceName.printable(e.getKey()), bad.getMessage());
                }
            }
            for (Session s : store.sessions()) {
                if ("file".equals(s.origin()) && !seen.contains(s.id())) {
                    store.deleteSession(s.id());
                    actions.leave(s.id(), "removed from " + file.getFileName());
                }
            }
            LOG.info("sessions from {}: {}", file, seen);
            loaded = mtime; // only now: a reload that failed half-way is tried again next turn
            onChange.run();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var at = e.getLocation();
            LOG.warn("{}:{}: not valid JSON ({}); keeping the sessions loaded before", file, at == null ? 0 : at.getLineNr(), e.getOriginalMessage());
            loaded = mtime; // wait for the next edit
        } catch (IOException e) {
            LOG.warn("{} could not be read ({}); keeping the sessions loaded before", file, e.getMessage());
            loaded = mtime; // unreadable as it is: wait for the next edit
        }
    }

    /** The line each top-level entry of the sessions file starts on, for messages that point at it. */
    private static Map<String, Integer> entryLines(byte[] json) {
        Map<String, Integer> out = new java.util.HashMap<>();
        try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(json)) {
            int depth = 0;
            for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                } else if (t == com.fasterxml.jackson.core.JsonToken.FIELD_NAME && depth == 1) {
                    out.putIfAbsent(p.currentName(), p.currentTokenLocation().getLineNr());
                }
            }
        } catch (IOException e) {
            // the tree was read already; lines are only for messages
        }
        return out;
    }

    /**
     * Clears the Slack user of stored sessions that the file now gives that Slack user to another
     * session, so moving or swapping a {@code slack_user} in the file does not trip over uniqueness.
     */
    private void releaseMovedSlackUsers(JsonNode root) {
        Map<String, String> owner = new java.util.HashMap<>();
        root.fields().forEachRemaining(e -> {
            String u = text(e.getValue(), "slack_user");
            if (u != null) {
                owner.putIfAbsent(u, e.getKey());
            }
        });
        for (Session s : store.sessions()) {
            String to = s.slackUser() == null ? null : owner.get(s.slackUser());
            if (to != null && !to.equals(s.id())) {
                store.saveSession(new Session(s.id(), s.name(), s.capabilities(), s.status(), s.currentWork(), null, s.wipLimit(), s.origin(),
                        null, null), null, clock.instant());
            }
        }
    }

    /**
     * Registers or updates a session from the API. An admin may register anyone and gets a fresh token;
     * a session may update itself and keeps its token.
     */
    public Registered register(JsonNode body, boolean admin, Session self) {
        String id = text(body, "session_id");
        if (id == null && self != null) {
            id = self.id();
        }
        if (!admin && (self == null || !self.id().equals(id))) {
            throw new SecurityException("a session may only update itself");
        }
        Session old = id == null ? null : store.session(id).orElse(null);
        Session s = parse(id, body, old == null ? "api" : old.origin(), old);
        if (!admin && old != null && (!new HashSet<>(s.capabilities()).equals(new HashSet<>(old.capabilities()))
                || !java.util.Objects.equals(s.slackUser(), old.slackUser()))) {
            // a session may change its name, status, WIP and current work; what it may do and who it is in Slack are the admin's
            throw new SecurityException("capabilities and slack_user change only by an admin or in " + (file == null ? "sessions.json"
                    : file.getFileName()));
        }
        String token = null;
        if (admin && (old == null || body.path("new_token").asBoolean(false))) {
            token = Tokens.newToken(); // a new session, or asked for: an admin's update does not take a working session's token away
        }
        store.saveSession(s, token == null ? null : Tokens.hash(token), clock.instant());
        onChange.run();
        return new Registered(store.session(s.id()).orElseThrow(), token);
    }

    /** The session a Slack user becomes with {@code /assembly join}: id {@code slack-<user>}, its capabilities. */
    public Session join(String slackUser, String userName, List<String> capabilities) {
        Optional<Session> existing = store.sessionBySlackUser(slackUser);
        if (existing.isPresent() && !"slack".equals(existing.get().origin())
                && !new HashSet<>(existing.get().capabilities()).equals(new HashSet<>(capabilities))) {
            throw new IllegalArgumentException("you are session " + existing.get().id() + " already; its capabilities are set in "
                    + (file == null ? "sessions.json" : file.getFileName()) + " or by an admin");
        }
        String id = existing.map(Session::id).orElse("slack-" + slackUser.toLowerCase().replaceAll("[^a-z0-9._-]", ""));
        com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode();
        body.put("session_id", id);
        body.put("name", userName == null || userName.isBlank() ? slackUser : userName);
        body.put("slack_user", slackUser);
        body.put("status", "active");
        capabilities.forEach(body.withArray("capabilities")::add);
        Session s = parse(id, body, existing.map(Session::origin).orElse("slack"), existing.orElse(null));
        store.saveSession(s, null, clock.instant());
        onChange.run();
        return store.session(id).orElseThrow();
    }

    public boolean remove(String id) {
        boolean gone = store.deleteSession(id); // first, so no new offer can reach it (offers require the session row)
        actions.leave(id, "deregistered");
        onChange.run();
        return gone;
    }

    static Session parse(String id, JsonNode n, String origin) {
        return parse(id, n, origin, null);
    }

    /** A session from JSON; fields missing from an update keep their old values. */
    static Session parse(String id, JsonNode n, String origin, Session old) {
        if (id == null || !ServiceName.isValid(id)) {
            throw new IllegalArgumentException("session_id must match [A-Za-z0-9][A-Za-z0-9._-]* (at most 100 characters)");
        }
        String inner = text(n, "session_id");
        if (inner != null && !inner.equals(id)) {
            throw new IllegalArgumentException("session_id '" + inner + "' differs from its key '" + id + "'");
        }
        List<String> caps = new ArrayList<>();
        JsonNode c = n.get("capabilities");
        if (c != null && c.isArray()) {
            for (JsonNode x : c) {
                String cap = x.asText().strip().toLowerCase();
                if (!Session.CAPABILITIES.contains(cap)) {
                    throw new IllegalArgumentException("unknown capability '" + ServiceName.printable(cap) + "' (known: "
                            + String.join(", ", Session.CAPABILITIES) + ")");
                }
                if (!caps.contains(cap)) {
                    caps.add(cap);
                }
            }
        } else if (old != null) {
            caps.addAll(old.capabilities());
        }
        String status = text(n, "status");
        if (status == null) {
            status = old == null ? "active" : old.status();
        }
        if (!status.equals("active") && !status.equals("away")) {
            throw new IllegalArgumentException("status must be active or away, not '" + ServiceName.printable(status) + "'");
        }
        int wip = n.has("wip_limit") ? n.get("wip_limit").asInt(-1) : old == null ? 1 : old.wipLimit();
        if (wip < 1 || wip > 100) {
            throw new IllegalArgumentException("wip_limit must be 1..100");
        }
        String name = text(n, "name");
        JsonNode work = n.get("current_work");
        String current = work == null || work.isNull() ? old == null ? null : old.currentWork() : work.isTextual() ? work.asText() : work.toString();
        String slack = text(n, "slack_user");
        return new Session(id, name != null ? limit(name, 200) : old != null ? old.name() : id, caps, status,
                current == null ? null : limit(current, 1000), slack != null ? limit(slack, 64) : old == null ? null : old.slackUser(),
                wip, origin, null, null);
    }

    /** The hash of the token once written to {@code <data>/tokens/<id>}, or null when there is none. */
    private String keptToken(String id) {
        String kept = Tokens.read(tokenDir.resolve(ServiceName.require(id)));
        if (kept != null) {
            LOG.info("session {} has its token from {} again", id, tokenDir.resolve(id));
        }
        return kept == null ? null : Tokens.hash(kept);
    }

    private void writeToken(String id) {
        try {
            Path f = tokenDir.resolve(ServiceName.require(id));
            String token = Tokens.newToken();
            Tokens.writePrivate(f, token);
            store.saveSession(store.session(id).orElseThrow(), Tokens.hash(token), clock.instant());
            LOG.info("session {} has no token in {}: one was written to {}", id, file.getFileName(), f);
        } catch (IOException e) {
            LOG.warn("could not write a token for session {}: {}", id, e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText().strip();
    }

    private static String limit(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
