package dev.assemblyline.pipeline;

import dev.assemblyline.git.ChangedServices;
import dev.assemblyline.git.GitException;
import dev.assemblyline.git.RepoSource;
import dev.assemblyline.git.ServiceChange;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level-triggered reconcile: an event only says "look"; what is looked at is git's tracked head against
 * the last head processed. A push reads just the services that changed between the two; a resync reads
 * them all. Results go to the store in one transaction with the events they settle, so running it twice
 * does nothing new and an event accepted before a crash is processed once after it. Not thread-safe by
 * design: one {@link ReconcileLoop} thread calls it.
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Store store;
    private final RepoSource source;
    private final ServiceTrees trees;
    private final ChangedServices changed;
    private final Scanner scanner;
    private final Clock clock;
    private final Timer reconcileTimer;
    private final PhaseGauges gauges;
    private final Map<String, ServiceState> states = new ConcurrentHashMap<>();
    private final PhaseAnnouncer announcer;
    private final FactSources facts;
    /** ASSEMBLY_SERVICES_ROOT: the root when assembly.yml does not say one. */
    private final String configuredRoot;

    private Map<String, Phase> phasesOf(List<ServiceState> upserts) {
        Map<String, Phase> out = new HashMap<>();
        for (ServiceState s : upserts) {
            ServiceState old = states.get(s.service());
            out.put(s.service(), old == null ? null : old.phase());
        }
        return out;
    }

    /**
     * @param notifier   phase changes are announced here: drafts stored with the change, then told after it
     * @param digestOver more phase changes than this in one reconcile are announced as one digest (ASSEMBLY_SLACK_DIGEST)
     */
    public Reconciler(Store store, RepoSource source, String root, PhaseDetector detector, Clock clock, MeterRegistry metrics,
                      Notifier notifier, int digestOver, FactSources facts) {
        this.announcer = new PhaseAnnouncer(notifier, digestOver);
        this.facts = facts;
        this.store = store;
        this.source = source;
        this.trees = new ServiceTrees(source.repo(), root);
        this.changed = new ChangedServices(trees);
        this.configuredRoot = root;
        this.scanner = new Scanner(trees, detector);
        this.clock = clock;
        this.reconcileTimer = Timer.builder("assembly_reconcile").description("one reconcile: event or resync")
                .register(metrics);
        this.gauges = new PhaseGauges(metrics);
        states.putAll(store.services());
        gauges.count(states.values());
    }

    /** assembly.yml at the last processed head. */
    public dev.assemblyline.verify.RepoConfig config() {
        ObjectId head = head();
        return head == null ? dev.assemblyline.verify.RepoConfig.DEFAULT : Verification.config(source.repo(), head);
    }

    /** The last processed head of the tracked branch, or null. */
    public ObjectId head() {
        ObjectId working = workingHead;
        return working != null ? working : store.head(source.trackedBranch()).map(ObjectId::fromString).orElse(null);
    }

    /** {@link #head}, once every service there has been looked at; null while a large change is under way (its later slices). */
    public ObjectId settledHead() {
        return busy() ? null : head();
    }

    /**
     * The git tree to check out for a service's identity (they differ when its README.md has a status
     * line, see ServiceSnapshot): the folder at the last processed head when it is that identity.
     */
    public String gitTree(String service, String identity) {
        ObjectId head = head();
        var s = head == null ? null : trees.snapshot(head, service);
        return s != null && s.treeId().equals(identity) ? s.gitTree() : identity;
    }

    public ServiceTrees trees() {
        return trees;
    }

    /** Looks again at some services at the last processed head, because their facts changed. */
    public String recheck(Set<String> services) {
        ObjectId head = head(); // the head the states are at (a change under way's, see Bulk)
        if (head == null || services.isEmpty()) {
            return "nothing to recheck";
        }
        Function<String, Facts> facts = this.facts.under(config());
        Instant now = clock.instant();
        List<ServiceState> upserts = new ArrayList<>();
        List<LogEntry> log = new ArrayList<>();
        for (Detection d : scanner.detect(head, services, facts)) {
            StateChanges.compare(states.get(d.service()), d, now, "ticket change", upserts, log);
        }
        commit(upserts, List.of(), log, null, null, List.of(), null, now);
        return upserts.size() + " of " + services.size() + " rechecked services changed";
    }

    /**
     * Processes every pending inbox event, oldest first. Because a reconcile looks at git's head rather
     * than at what an event claims, the events waiting at one moment are settled by one reconcile: a
     * burst of a thousand deliveries costs one look, not a thousand. Returns how many were settled.
     */
    public int drain() {
        int done = 0;
        List<InboxEvent> batch;
        while (!(batch = store.pending(1000)).isEmpty()) {
            process(batch);
            done += batch.size();
        }
        return done;
    }

    void process(List<InboxEvent> events) {
        Timer.Sample t = Timer.start();
        List<Long> ids = events.stream().map(InboxEvent::id).toList();
        InboxEvent last = events.get(events.size() - 1);
        String why = last.source() + " push " + shortId(last.after()) + (events.size() > 1 ? " and " + (events.size() - 1) + " more" : "");
        try {
            // A failure (git or database unreachable) leaves the events pending: the loop retries them.
            reconcile(ids, false, why);
        } finally {
            t.stop(reconcileTimer);
        }
    }

    /** Looks at every service at the tracked head (fetching first in follow mode). */
    public String resync() {
        Timer.Sample t = Timer.start();
        try {
            return reconcile(List.of(), true, "resync");
        } finally {
            t.stop(reconcileTimer);
        }
    }

    /**
     * A change too large for one turn (a push adding thousands of services, or the first look at a large
     * repository): its services are looked at {@link #slice} at a time, one slice per turn, so that a small
     * push, offers and lease checks made meanwhile wait for one slice, not for the whole change. The
     * stored head stays at the last head fully processed until the last slice is stored, so after a crash
     * the change is looked at again from there; states already stored compare equal and are not announced
     * twice. Only the loop thread touches it.
     */
    private record Bulk(ObjectId head, List<String> todo, String why) {
    }

    private Bulk bulk;
    /** The head the in-memory states are at: the bulk change's while one is under way, else the stored head. */
    private volatile ObjectId workingHead;
    private int slice = 10_000;

    /** How many services one turn looks at in a large change (see {@link Bulk}). */
    public void sliceOf(int services) {
        this.slice = Math.max(1, services);
    }

    /** True while a large change is being looked at slice by slice; {@link #continueBulk()} does the next slice. */
    public boolean busy() {
        return bulk != null;
    }

    /** Looks at the next slice of a large change (nothing when there is none). */
    public String continueBulk() {
        if (bulk == null) {
            return "no change under way";
        }
        Timer.Sample t = Timer.start();
        try {
            return reconcile(List.of(), false, bulk.why());
        } finally {
            t.stop(reconcileTimer);
        }
    }

    @SuppressWarnings("unchecked")
    private String reconcile(List<Long> events, boolean full, String why) {
        dev.assemblyline.model.Layout layoutBefore = trees.layout();
        try {
            return reconcileOnce(events, full, why);
        } catch (RuntimeException e) {
            trees.layout(layoutBefore); // a layout is only taken with the reconcile that stored it: the retry switches again
            throw e;
        }
    }

    private String reconcileOnce(List<Long> events, boolean full, String why) {
        long started = System.nanoTime();
        try {
            source.refresh();
        } catch (GitException ex) {
            if (!events.isEmpty()) {
                throw ex; // the pushed commits are not here yet: keep the events until a fetch works
            }
            LOG.warn("{}: could not refresh, using what is already here: {}", why, ex.getMessage());
        }
        String branch = source.trackedBranch();
        ObjectId head = source.head();
        Instant now = clock.instant();
        List<LogEntry> log = new ArrayList<>();
        dev.assemblyline.model.Layout before = trees.layout();
        if (head != null) {
            dev.assemblyline.verify.RepoConfig atHead = Verification.config(source.repo(), head);
            // a broken assembly.yml counts as empty, but its layout is not dropped with it: every service of an
            // adopted repository would vanish until the file is fixed (the problem is logged below)
            dev.assemblyline.model.Layout layout = atHead.problem() != null ? before : atHead.layout(configuredRoot);
            if (!layout.equals(trees.layout())) {
                // assembly.yml moved the services or changed what counts as their evidence: everything is looked at again
                if (store.head(branch).isPresent()) {
                    log.add(new LogEntry(0, now, null, "config", "layout: services under " + (layout.root().isEmpty() ? "the top" : layout.root() + "/")
                            + ", spec " + String.join(" or ", layout.spec()) + ", build " + layout.buildLabel() + ", tests " + layout.testsLabel()
                            + ", production " + layout.productionLabel() + " (" + shortId(head.name()) + ")"));
                }
                LOG.info("layout at {}: services under {}/, build {}", shortId(head.name()), layout.root(), layout.buildLabel());
                trees.layout(layout);
                full = true;
            }
        }
        String last = store.head(branch).orElse(null);
        // a change under way was looked at up to its head: what came after it is diffed from there
        String from = bulk != null ? bulk.head().name() : last;
        List<ServiceState> upserts = new ArrayList<>();
        List<String> removals = new ArrayList<>();
        // built on first use: a reconcile that finds nothing new (most of a burst of deliveries) reads no facts
        Function<String, Facts>[] built = new Function[1];
        Function<String, Facts> facts = name -> {
            if (built[0] == null) {
                built[0] = this.facts.under(head == null ? dev.assemblyline.verify.RepoConfig.DEFAULT : Verification.config(source.repo(), head));
            }
            return built[0].apply(name);
        };
        // the services to look at, in order: what this change touched first, then what a change under way has left
        Set<String> work = new LinkedHashSet<>();
        String outcome;
        if (head == null) {
            outcome = "branch " + branch + " does not exist; nothing to look at";
            bulk = null;
            if (last != null) {
                removals.addAll(states.keySet());
                log.add(new LogEntry(0, now, null, "branch", "tracked branch " + branch + " is gone; " + removals.size() + " services dropped"));
            }
        } else if (full || from == null) {
            for (dev.assemblyline.git.ServiceEntry e : trees.entries(head)) {
                if (e.isService()) {
                    work.add(e.name());
                }
            }
            bulk = null;
            for (String s : states.keySet()) {
                if (!work.contains(s)) {
                    removals.add(s);
                    log.add(new LogEntry(0, now, s, "removed", s + " is no longer under " + trees.root() + "/ (" + why + ")"));
                }
            }
            outcome = "full look at " + shortId(head.name());
        } else if (from.equals(head.name())) {
            outcome = (bulk != null ? "carrying on at " : "already at ") + shortId(head.name());
        } else {
            List<ServiceChange> changes;
            try {
                changes = changed.between(ObjectId.fromString(from), head);
            } catch (GitException | IllegalArgumentException ex) {
                LOG.info("diffing {}..{} failed ({}); looking at every service", from, head.name(), ex.getMessage());
                return reconcile(events, true, why);
            }
            Set<String> gone = new java.util.HashSet<>();
            for (ServiceChange c : changes) {
                if (c.kind() == ServiceChange.Kind.RENAMED) {
                    gone.add(c.previousName());
                    if (states.containsKey(c.previousName())) {
                        removals.add(c.previousName());
                        log.add(new LogEntry(0, now, c.previousName(), "renamed", c.previousName() + " was renamed to " + c.service()));
                    }
                }
                if (c.kind() == ServiceChange.Kind.DELETED) {
                    gone.add(c.service());
                    if (states.containsKey(c.service())) {
                        removals.add(c.service());
                        log.add(new LogEntry(0, now, c.service(), "removed", c.service() + " was deleted (" + why + ")"));
                    }
                    continue;
                }
                work.add(c.service());
            }
            if (bulk != null) {
                bulk.todo().removeAll(gone);
            }
            outcome = changes.size() + " services changed " + shortId(from) + ".." + shortId(head.name());
        }
        if (head != null && !head.name().equals(last) && (bulk == null || !head.equals(bulk.head()))) {
            String problem = Verification.config(source.repo(), head).problem();
            if (problem != null) { // said once per commit that brings it; the file counts as empty meanwhile
                log.add(new LogEntry(0, now, null, "config", problem + " (" + shortId(head.name()) + ")"));
                LOG.warn("{} ({})", problem, shortId(head.name()));
            }
        }
        // this change's own services go first, in slices if it is large; a turn with nothing new takes the next
        // slice of the change under way, now looked at at the newer head
        List<String> queue = new ArrayList<>(work);
        if (head != null && bulk != null) {
            for (String s : bulk.todo()) {
                if (!work.contains(s)) {
                    queue.add(s);
                }
            }
        }
        int n = Math.min(slice, work.isEmpty() ? queue.size() : work.size());
        List<String> thisTurn = queue.subList(0, n);
        List<String> rest = new ArrayList<>(queue.subList(n, queue.size()));
        // a service whose identity is the one its state was detected at needs no new look (its facts changing
        // brings a recheck of its own): the status write-back's commits change only what the identity leaves out
        // only a service this diff found changed: a full look's, or a large change's services left for later turns, are all looked at
        Set<String> diffedNames = !full && from != null ? work : Set.of();
        java.util.function.Predicate<dev.assemblyline.model.ServiceSnapshot> unchanged = s -> {
            ServiceState old = states.get(s.name());
            return diffedNames.contains(s.name()) && old != null && s.treeId().equals(old.tree());
        };
        for (Detection d : scanner.detect(head, thisTurn, facts, unchanged)) { // one read of the root for the whole slice
            StateChanges.compare(states.get(d.service()), d, now, why, upserts, log);
        }
        bulk = rest.isEmpty() ? null : new Bulk(head, rest, why);
        if (head != null && !queue.isEmpty()) {
            outcome += ": " + thisTurn.size() + " looked at, " + upserts.size() + " updated, " + removals.size() + " removed"
                    + (bulk == null ? "" : ", " + rest.size() + " left for the next turns");
        }
        long read = System.nanoTime();
        // a branch that never existed leaves no row: a row with no head means it existed and was deleted (/health);
        // while a change is under way the stored head stays where it was (see Bulk)
        boolean storeHead = bulk == null && !(head == null && last == null);
        commit(upserts, removals, log, storeHead ? branch : null, head == null ? null : head.name(), events, outcome, now);
        workingHead = head;
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (ms >= 1000 || bulk != null) {
            LOG.info("{}: {} ({} ms, {} of them reading git)", why, outcome, ms, (read - started) / 1_000_000);
        }
        return outcome;
    }

    /**
     * Stores one reconcile's outcome with the announcements of its phase changes (one transaction), then
     * updates the states in memory and tells the notifiers. Nothing in memory changes if the store fails.
     */
    private void commit(List<ServiceState> upserts, List<String> removals, List<LogEntry> log, String branch, String head,
                        List<Long> events, String outcome, Instant now) {
        Map<String, Phase> before = phasesOf(upserts);
        List<dev.assemblyline.store.OutboxStore.Draft> drafts = announcer.drafts(upserts, before);
        dev.assemblyline.forge.ForgeStatuses forge = statuses;
        if (forge != null && !upserts.isEmpty()) {
            Map<String, ServiceState> was = new HashMap<>();
            upserts.forEach(u -> {
                ServiceState old = states.get(u.service());
                if (old != null) {
                    was.put(u.service(), old);
                }
            });
            ObjectId at = head != null ? ObjectId.fromString(head) : head();
            drafts = new ArrayList<>(drafts);
            drafts.addAll(forge.drafts(upserts, was, at == null ? null : at.name()));
        }
        store.apply(new Store.Batch(upserts, removals, log, branch, head, events, outcome, drafts), now);
        if (upserts.stream().anyMatch(u -> before.get(u.service()) != u.phase())) {
            Crashpoint.hit("after-phase-commit");
        }
        upserts.forEach(s -> states.put(s.service(), s));
        announcer.tell(upserts, before);
        removals.forEach(states::remove);
        gauges.count(states.values());
    }

    /**
     * Takes the states, head and layout the leader stored (a replica that follows, or one about to lead:
     * docs/SCALING.md), fetching the stored head when this copy of the repository lacks it. Not while the
     * loop runs. Returns the head.
     */
    public ObjectId follow() {
        bulk = null;
        workingHead = null;
        ObjectId head = store.head(source.trackedBranch()).map(ObjectId::fromString).orElse(null);
        if (head != null && !present(head)) {
            try {
                source.refresh();
            } catch (GitException e) {
                LOG.warn("could not fetch {} as the leader has it: {}", shortId(head.name()), e.getMessage());
            }
        }
        if (head != null && present(head)) {
            dev.assemblyline.verify.RepoConfig atHead = Verification.config(source.repo(), head);
            if (atHead.problem() == null) {
                trees.layout(atHead.layout(configuredRoot));
            }
        }
        Map<String, ServiceState> stored = store.services();
        states.keySet().retainAll(stored.keySet());
        states.putAll(stored);
        gauges.count(states.values());
        return head;
    }

    private boolean present(ObjectId commit) {
        try {
            return source.repo().repository().getObjectDatabase().has(commit);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private volatile dev.assemblyline.forge.ForgeStatuses statuses;

    /** Reports each change of phase or tree as a commit status to the forges (docs/ci.md), with the change itself. */
    public void reportTo(dev.assemblyline.forge.ForgeStatuses statuses) {
        this.statuses = statuses;
    }

    /** The last reconciled state of every service, from memory. */
    public Map<String, ServiceState> states() {
        return states;
    }

    private static String shortId(String sha) {
        return sha == null ? "none" : sha.substring(0, Math.min(12, sha.length()));
    }
}
