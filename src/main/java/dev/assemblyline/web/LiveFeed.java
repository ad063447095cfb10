package dev.assemblyline.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.Dashboard;
import dev.assemblyline.pipeline.Worker;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's live updates: one thread follows the event log (woken by every commit that adds to it,
 * and polling each second so entries written by another process show up too), turns what changed into
 * the changed services' cards once, and sends the same server-sent event to every open page. Each event
 * carries the last event id, so a page that reconnects (a dropped connection, a restarted server) asks for
 * what it missed with {@code Last-Event-ID}. See docs/dashboard.md, "Live updates".
 */
public final class LiveFeed extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 500;
    /** A page further behind than this is told to reload the board instead of catching up event by event. */
    private static final int CATCH_UP = 2000;
    private static final long POLL = Duration.ofSeconds(1).toNanos();
    private static final long KEEPALIVE = Duration.ofSeconds(15).toNanos();
    /**
     * At most four broadcasts a second: a change after a quiet spell goes out at once, changes that follow
     * it closely are gathered into the next (a busy line costs the pages, and the writes, a quarter as much).
     */
    private static final long MIN_GAP = Duration.ofMillis(250).toNanos();

    private final Board board;
    private final Dashboard dashboard;
    private final Supplier<Map<String, String>> testProgress;
    private final List<SseClient> clients = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private long lastId = -1;
    private Map<String, String> lastProgress = Map.of();
    private long lastSent = System.nanoTime();
    private long lastChange = System.nanoTime() - MIN_GAP;

    /** @param testProgress the suites running now: service → progress line */
    public LiveFeed(Board board, Dashboard dashboard, Supplier<Map<String, String>> testProgress) {
        super("live-feed", Duration.ofSeconds(5));
        this.board = board;
        this.dashboard = dashboard;
        this.testProgress = testProgress;
    }

    public int clients() {
        return clients.size();
    }

    /**
     * A page opened the stream, having seen everything up to {@code after} (its board's event id, or the
     * Last-Event-ID of a reconnect; negative: nothing). It gets what it missed, then every change.
     */
    void join(SseClient client, long after) {
        synchronized (lock) {
            if (lastId < 0) {
                lastId = board.lastEventId();
            }
            if (after >= 0 && after < lastId) {
                List<LogEntry> missed = board.events(after, null, CATCH_UP + 1);
                if (missed.size() > CATCH_UP || missed.isEmpty()) {
                    send(client, "reset", Map.of("last", lastId), lastId);
                } else {
                    send(client, "change", payload(missed, services(missed)), missed.get(missed.size() - 1).id());
                }
            } else {
                send(client, "hello", Map.of("last", lastId), lastId);
            }
            clients.add(client);
        }
        client.onClose(() -> clients.remove(client));
    }

    @Override
    protected long round() {
        try {
            synchronized (lock) {
                long sinceChange = System.nanoTime() - lastChange;
                if (sinceChange < MIN_GAP) {
                    return MIN_GAP - sinceChange; // gather what comes meanwhile into one event
                }
                if (clients.isEmpty()) {
                    lastId = -1; // nobody watches: nothing to read; the next page to join starts from the log's end
                    lastProgress = Map.of();
                    return POLL;
                }
                if (lastId < 0) {
                    lastId = board.lastEventId();
                }
                List<LogEntry> events = board.events(lastId, null, BATCH);
                Set<String> touched = services(events);
                Map<String, String> progress = testProgress.get();
                for (String s : union(progress.keySet(), lastProgress.keySet())) {
                    if (!java.util.Objects.equals(progress.get(s), lastProgress.get(s))) {
                        touched.add(s); // a running suite's count moved: no log entry, but the card changes
                    }
                }
                lastProgress = progress;
                if (!events.isEmpty()) {
                    lastId = events.get(events.size() - 1).id();
                }
                if (!touched.isEmpty() || !events.isEmpty()) {
                    broadcast("change", payload(events, touched), lastId);
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastSent > KEEPALIVE) {
                    for (SseClient c : clients) {
                        keepAlive(c);
                    }
                    lastSent = System.nanoTime();
                }
                return events.size() == BATCH ? 1 : POLL;
            }
        } catch (RuntimeException e) {
            LOG.warn("live feed: {}", e.getMessage());
            return POLL;
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return out;
    }

    private static Set<String> services(List<LogEntry> events) {
        Set<String> out = new LinkedHashSet<>();
        events.forEach(e -> {
            if (e.service() != null) {
                out.add(e.service());
            }
        });
        return out;
    }

    /** What one change says: the newest entries (for the messages list), the touched cards, the gone services and the counts. */
    private Map<String, Object> payload(List<LogEntry> events, Set<String> touched) {
        List<Dashboard.Card> cards = dashboard.cards(touched);
        Set<String> gone = new LinkedHashSet<>(touched);
        cards.forEach(c -> gone.remove(c.service()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("last", events.isEmpty() ? lastId : events.get(events.size() - 1).id());
        m.put("events", events.subList(Math.max(0, events.size() - 50), events.size()).stream().map(Views::of).toList());
        m.put("cards", cards.stream().map(Views::of).toList());
        m.put("gone", List.copyOf(gone));
        Map<String, Integer> counts = new HashMap<>();
        dashboard.counts().forEach((p, n) -> counts.put(p.name(), n));
        m.put("counts", counts);
        return m;
    }

    private void broadcast(String event, Map<String, Object> data, long id) {
        String json = json(data);
        List<SseClient> dead = new ArrayList<>();
        for (SseClient c : clients) {
            if (!write(c, event, json, id)) {
                dead.add(c);
            }
        }
        clients.removeAll(dead);
        lastSent = System.nanoTime();
    }

    private void send(SseClient c, String event, Map<String, Object> data, long id) {
        write(c, event, json(data), id);
    }

    private static boolean write(SseClient c, String event, String json, long id) {
        try {
            if (c.terminated()) {
                return false;
            }
            c.sendEvent(event, json, Long.toString(id));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void keepAlive(SseClient c) {
        try {
            c.sendComment("keep-alive");
        } catch (RuntimeException e) {
            // closed: onClose removes it
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Closes every open stream (the server is stopping). */
    @Override
    public void close() {
        super.close();
        for (SseClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // already closed
            }
        }
        clients.clear();
    }
}
