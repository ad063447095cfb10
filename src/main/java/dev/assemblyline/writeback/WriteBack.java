package dev.assemblyline.writeback;

import dev.assemblyline.git.RepoSource;
import dev.assemblyline.git.TreeEdit;
import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.StatusLine;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Worker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository as the status board (docs/status-board.md): when a service changes phase or holder,
 * one bot commit sets the status line of its README.md and rewrites {@code SERVICE_REGISTRY.json}, on
 * its own thread, at most one commit a {@code gap}. The commit is built on the branch's head and offered
 * to it without force ({@link RepoSource#publish}); when someone pushed first, it is built again on the
 * new head, a few times at most, after a random pause. A repository that refuses it (a protected
 * branch, a read-only token) is reported once, and the line goes on without write-back.
 * <p>
 * The commit changes no decision: the status line is left out of a service's identity (see {@link
 * StatusLine}) and the registry is outside every service folder, so the reconcile that reads it finds
 * every phase as it was, and announces nothing.
 */
public final class WriteBack extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBack.class);
    static final int ATTEMPTS = 6;

    /** What the registry shows besides phase and holder, read when a commit is written. */
    public interface Details {
        Map<String, Registry.Tests> tests();

        Map<String, Registry.Deploy> deploys();

        Map<String, String> health();

        /** Nothing known besides phase and holder (a benchmark, a test). */
        Details NONE = new Details() {
            @Override
            public Map<String, Registry.Tests> tests() {
                return Map.of();
            }

            @Override
            public Map<String, Registry.Deploy> deploys() {
                return Map.of();
            }

            @Override
            public Map<String, String> health() {
                return Map.of();
            }
        };
    }

    /**
     * Who commits (ASSEMBLY_BOT_NAME, ASSEMBLY_BOT_EMAIL), how often at most ({@code gap}), and how long the
     * branch must have been still before the bot commits ({@code quiet}, ASSEMBLY_WRITEBACK_QUIET): a
     * person who pushes, looks and pushes again is not made to pull in between. A change waits {@code
     * maxWait} at most, so a branch that is never still still gets its status.
     */
    public record Settings(PersonIdent bot, Duration gap, Duration quiet, Duration maxWait) {
        public Settings(PersonIdent bot, Duration gap) {
            this(bot, gap, Duration.ZERO, Duration.ZERO);
        }
    }

    private final RepoSource source;
    private final Supplier<String> root;
    private final Supplier<ObjectId> processed;
    private final Supplier<Map<String, ServiceState>> states;
    private final Supplier<List<Ticket>> openTickets;
    private final Details details;
    private final Consumer<InboxEvent> queue;
    private final Consumer<LogEntry> log;
    private final Clock clock;
    private final Settings settings;

    private final Registry registry = new Registry();
    private Set<String> sortedSet = Set.of();
    private List<String> sortedNames = List.of();
    /** The status line each service has in the repository, as far as this process knows; null before the first look. */
    private Map<String, String> written;
    private String writtenRoot;
    /** The head the bot last built on or published: pushes after it are looked at for READMEs changed by people. */
    private ObjectId lastPublished;
    private volatile String off;
    private volatile long commits;
    private long lastCommit;
    private int failures;
    private ObjectId seenHead;
    private long headMovedAt;
    private long pendingSince;

    /**
     * @param processed the head the states are at (the loop's last processed head): nothing is written before
     *                  the loop has read the branch's head, so states, layout and head agree
     * @param queue where the new head is reported, as a push (the loop reads it like any other)
     * @param log   the event log: a refusal, once
     */
    public WriteBack(RepoSource source, Supplier<String> root, Supplier<ObjectId> processed, Supplier<Map<String, ServiceState>> states,
                     Supplier<List<Ticket>> openTickets, Details details, Consumer<InboxEvent> queue, Consumer<LogEntry> log, Clock clock,
                     Settings settings) {
        super("write-back", Duration.ofSeconds(30));
        this.source = source;
        this.root = root;
        this.processed = processed;
        this.states = states;
        this.openTickets = openTickets;
        this.details = details;
        this.queue = queue;
        this.log = log;
        this.clock = clock;
        this.settings = settings;
    }

    /** Why write-back stopped (the repository refused it), or null while it works. */
    public String off() {
        return off;
    }

    /** Bot commits that landed since start. */
    public long commits() {
        return commits;
    }

    private volatile java.util.function.BooleanSupplier mayAct = () -> true;

    /** Pushes only while {@code check} says so (a replica sure that it leads, docs/SCALING.md). */
    public WriteBack onlyWhile(java.util.function.BooleanSupplier check) {
        this.mayAct = check;
        return this;
    }

    @Override
    protected long round() {
        if (off != null) {
            return TimeUnit.HOURS.toNanos(1);
        }
        long wait = lastCommit + settings.gap().toNanos() - System.nanoTime();
        if (lastCommit != 0 && wait > 0) {
            return wait; // at most one commit a gap: a burst of changes is one commit
        }
        try {
            long now = System.nanoTime();
            ObjectId head = source.head();
            if (!java.util.Objects.equals(head, seenHead)) {
                seenHead = head;
                headMovedAt = now;
            }
            if (!settings.quiet().isZero()) {
                if (!pending()) {
                    pendingSince = 0;
                    return TimeUnit.SECONDS.toNanos(30); // or sooner, when the loop signals a change
                }
                pendingSince = pendingSince == 0 ? now : pendingSince;
                long still = headMovedAt + settings.quiet().toNanos() - now;
                long due = pendingSince + settings.maxWait().toNanos() - now;
                if (still > 0 && due > 0) {
                    return Math.min(still, due); // the branch moved a moment ago: someone may be about to push again
                }
            }
            if (head != null && !head.equals(processed.get())) {
                return TimeUnit.MILLISECONDS.toNanos(500); // the loop has not read the new head yet
            }
            boolean wrote = writeOnce();
            failures = 0;
            if (!wrote && pending()) {
                return TimeUnit.SECONDS.toNanos(2); // the branch kept moving, or its ref was locked (a repack): soon again
            }
            pendingSince = 0;
            return TimeUnit.SECONDS.toNanos(30); // or sooner, when the loop signals a change
        } catch (RuntimeException e) {
            failures++;
            LOG.warn("status write-back failed ({} in a row): {}", failures, e.getMessage());
            return TimeUnit.SECONDS.toNanos(Math.min(60, 5L * failures));
        }
    }

    /** Whether some service's status line differs from what the repository has, as far as this process knows. */
    synchronized boolean pending() {
        Map<String, String> want = desired(held());
        if (written == null) {
            return !want.isEmpty();
        }
        for (Map.Entry<String, String> e : want.entrySet()) {
            if (!e.getValue().equals(written.get(e.getKey()))) {
                return true;
            }
        }
        return false;
    }

    /** The claimed ticket of each service that has one (the oldest, if several): its holder is on the status line. */
    private Map<String, Ticket> held() {
        Map<String, Ticket> held = new HashMap<>();
        for (Ticket t : openTickets.get()) {
            if (t.state() == Ticket.State.CLAIMED && t.assignee() != null) {
                held.merge(t.service(), t, (a, b) -> a.id() <= b.id() ? a : b);
            }
        }
        return held;
    }

    /** The status line every service should have now. */
    private Map<String, String> desired(Map<String, Ticket> held) {
        Map<String, ServiceState> all = states.get();
        Map<String, String> out = new HashMap<>(all.size() * 4 / 3 + 16); // 10,000 services: no rehashing on the way
        for (ServiceState s : all.values()) {
            if (s.phase() == Phase.SKIPPED) {
                continue;
            }
            Ticket t = held.get(s.service());
            out.put(s.service(), StatusLine.render(s.phase(), t == null ? null : t.assignee(), t == null ? null : t.id()));
        }
        return out;
    }

    /**
     * Writes one commit if anything changed; false when there was nothing to write (or the loop has not yet
     * read the branch's head: the states are then of an older commit). Runs on the worker's thread (tests
     * call it directly).
     */
    public synchronized boolean writeOnce() {
        if (off != null) {
            return false;
        }
        ObjectId first = source.head();
        if (first == null || !first.equals(processed.get())) {
            return false; // the loop reads the new head first; it signals again when it has
        }
        Map<String, Ticket> held = held();
        Map<String, String> want = desired(held);
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            ObjectId head = source.head();
            if (head == null || want.isEmpty()) {
                return false;
            }
            String r = root.get();
            if (!r.equals(writtenRoot)) {
                written = null; // another layout: what was written under the old root says nothing
                writtenRoot = r;
            }
            if (written == null) {
                written = new HashMap<>();
                read(head, r, want.keySet()).forEach((service, readme) -> written.put(service, StatusLine.current(readme.content())));
            } else if (lastPublished != null && !head.equals(lastPublished)) {
                // others pushed since the bot's last commit: their READMEs are read again (a merge may have dropped a line)
                try {
                    for (dev.assemblyline.git.ServiceChange c : new dev.assemblyline.git.ChangedServices(source.repo(), r).between(lastPublished, head)) {
                        written.remove(c.service());
                    }
                } catch (RuntimeException e) {
                    written.clear();
                }
            }
            lastPublished = head;
            Map<String, String> changed = new TreeMap<>();
            want.forEach((service, line) -> {
                if (!line.equals(written.get(service))) {
                    changed.put(service, line);
                }
            });
            if (changed.isEmpty()) {
                return false;
            }
            Map<String, TreeEdit.Found> readmes = read(head, r, changed.keySet());
            TreeEdit edit = new TreeEdit();
            for (Map.Entry<String, String> e : new ArrayList<>(changed.entrySet())) {
                TreeEdit.Found now = readmes.get(e.getKey());
                // never a folder of its own making (a service deleted or renamed meanwhile), never over a README.md
                // that is not a plain file, never into an empty one (its status line alone would leave the identity)
                if (now == null || !now.editable() || now.content() != null && now.content().length == 0) {
                    changed.remove(e.getKey());
                    if (now != null) {
                        written.put(e.getKey(), e.getValue()); // not to be tried again and again
                    }
                } else if (!e.getValue().equals(StatusLine.current(now.content()))) {
                    edit.put(path(r, e.getKey()), StatusLine.apply(now.content(), e.getValue()));
                }
            }
            if (changed.isEmpty()) {
                return false;
            }
            edit.put(Registry.PATH, registry.renderCached(rows(want, held)));
            ObjectId commit;
            RepoSource.Publication p;
            try (RepoSource.Hold hold = source.holdNewObjects()) { // no repack between the commit's pack and the branch naming it
                try {
                    PersonIdent bot = new PersonIdent(settings.bot(), clock.instant(), java.time.ZoneOffset.UTC);
                    commit = edit.commit(source.repo().repository(), head, bot, message(changed));
                } catch (java.io.IOException e) {
                    throw new dev.assemblyline.git.GitException("writing the status commit", e);
                }
                if (commit == null) { // the repository already says so
                    written.putAll(changed);
                    return false;
                }
                if (!mayAct.getAsBoolean()) {
                    return false; // no longer sure to lead (docs/SCALING.md): the next leader writes it
                }
                p = source.publish(head, commit);
            }
            switch (p.outcome()) {
                case PUBLISHED -> {
                    written.putAll(changed);
                    lastPublished = commit;
                    commits++;
                    failures = 0;
                    lastCommit = System.nanoTime();
                    Instant now = clock.instant();
                    queue.accept(InboxEvent.push("writeback", "writeback:" + commit.name(), "refs/heads/" + source.trackedBranch(), head.name(),
                            commit.name(), now));
                    LOG.info("status write-back: {} ({} services)", commit.abbreviate(12).name(), changed.size());
                    return true;
                }
                case BEHIND -> {
                    // someone pushed first: theirs stands; ours is built again on the new head
                    LOG.info("status write-back: the branch moved on (attempt {} of {}); building it again on the new head", attempt, ATTEMPTS);
                    if (attempt < ATTEMPTS) {
                        pause(attempt);
                        try {
                            source.refresh();
                        } catch (RuntimeException e) {
                            LOG.debug("refreshing before the next attempt failed: {}", e.getMessage());
                        }
                    }
                }
                case REFUSED -> {
                    off = p.detail();
                    String why = "status write-back is off: " + source.trackedBranch() + " refused the bot's commit (" + p.detail()
                            + "); the line goes on without it (docs/status-board.md)";
                    LOG.warn(why);
                    log.accept(new LogEntry(0, clock.instant(), null, "writeback", why));
                    return false;
                }
                case FAILED -> throw new dev.assemblyline.git.GitException("publishing the status commit: " + p.detail());
            }
        }
        LOG.warn("status write-back: the branch kept moving for {} attempts; trying again later", ATTEMPTS);
        return false;
    }

    private Map<String, TreeEdit.Found> read(ObjectId head, String root, Set<String> services) {
        try {
            return TreeEdit.readEach(source.repo().repository(), head, root, services, "README.md");
        } catch (java.io.IOException e) {
            throw new dev.assemblyline.git.GitException("reading README.md files at " + head.name(), e);
        }
    }

    static String path(String root, String service) {
        return (root.isEmpty() ? "" : root + "/") + service + "/README.md";
    }

    private List<Registry.Row> rows(Map<String, String> want, Map<String, Ticket> held) {
        Map<String, ServiceState> all = states.get();
        Map<String, Registry.Tests> tests = details.tests();
        Map<String, Registry.Deploy> deploys = details.deploys();
        Map<String, String> health = details.health();
        List<Registry.Row> rows = new ArrayList<>(want.size());
        if (!want.keySet().equals(sortedSet)) { // sorted again only when services came or went
            sortedSet = new java.util.HashSet<>(want.keySet());
            sortedNames = new ArrayList<>(sortedSet);
            java.util.Collections.sort(sortedNames);
        }
        for (String service : sortedNames) {
            ServiceState s = all.get(service);
            if (s == null) {
                continue;
            }
            Ticket t = held.get(service);
            rows.add(new Registry.Row(service, s.phase().name(), t == null ? null : t.assignee(), t == null ? null : t.id(),
                    s.since(), s.tree(), tests.get(service), deploys.get(service), health.get(service)));
        }
        return rows;
    }

    /** "assembly: status of billing (TESTING), auth (BUILD_IN_PROGRESS)", then one line per service. */
    static String message(Map<String, String> changed) {
        StringBuilder first = new StringBuilder("assembly: status of ");
        int n = 0;
        for (String service : changed.keySet()) {
            if (n == 3) {
                first.append(" and ").append(changed.size() - 3).append(" more");
                break;
            }
            first.append(n++ == 0 ? "" : ", ").append(service);
        }
        StringBuilder body = new StringBuilder();
        int listed = 0;
        for (Map.Entry<String, String> e : changed.entrySet()) {
            if (listed++ == 200) {
                body.append("…\n");
                break;
            }
            body.append(e.getKey()).append(": ").append(e.getValue().replace(" " + StatusLine.MARK, "").replaceFirst("^Status: ", "")).append('\n');
        }
        return first + "\n\n" + body + "\nWritten by Assembly Line's status write-back; it changes no phase (docs/status-board.md).\n";
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(50, 150L * attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
