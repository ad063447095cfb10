package dev.assemblyline.pipeline;

import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.CiVerdict;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.store.CiStore;
import dev.assemblyline.store.ResultStore;
import dev.assemblyline.verify.RepoConfig;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the team's CI verdicts (docs/ci.md) on the leader, each turn: a verdict on commit C becomes a
 * test result of each {@code tests: ci} service's tree at C, when that tree is the service's tree now, so
 * READY_FOR_DEPLOY stays tied to the exact tree and a verdict on an older commit changes nothing. The
 * check that counts is the service's {@code ci_context}; without one, every check reported on the commit
 * (failing if one fails, waiting while one is pending). A verdict whose commit is not here yet waits for
 * the fetch that brings it, for an hour at most.
 */
public final class CiVerdicts {
    private static final Logger LOG = LoggerFactory.getLogger(CiVerdicts.class);
    static final Duration WAIT_FOR_COMMIT = Duration.ofHours(1);

    private final CiStore checks;
    private final ResultStore results;
    private final ServiceTrees trees;
    private final Clock clock;
    private final Consumer<String> recheck;

    public CiVerdicts(CiStore checks, ResultStore results, ServiceTrees trees, Clock clock, Consumer<String> recheck) {
        this.checks = checks;
        this.results = results;
        this.trees = trees;
        this.clock = clock;
        this.recheck = recheck;
    }

    /** Applies what came since the last turn; returns how many test results it recorded. */
    public int apply(Map<String, ServiceState> states, RepoConfig config) {
        List<CiStore.Check> pending = checks.pending(500);
        if (pending.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        int recorded = 0;
        Map<String, List<CiStore.Check>> onCommit = new HashMap<>();
        for (CiStore.Check check : pending) {
            CiVerdict v = check.verdict();
            if (!ObjectId.isId(v.commit()) || CiVerdict.own(v.context())) {
                // stored before intake refused these (a SHA-256 id, the coordinator's own status): settled, never applied
                LOG.info("CI verdict '{}' on {} dropped: not a check of a commit this coordinator can read", v.context(), v.commit());
                checks.applied(check, now);
                continue;
            }
            ObjectId commit = ObjectId.fromString(v.commit());
            if (!present(commit)) {
                if (Duration.between(check.receivedAt(), now).compareTo(WAIT_FOR_COMMIT) > 0) {
                    LOG.info("CI verdict '{}' on {} dropped: the commit never reached the tracked branch here", v.context(), v.commit());
                    checks.applied(check, now);
                }
                continue;
            }
            if (!CiVerdict.PENDING.equals(v.state())) {
                for (ServiceState s : states.values()) {
                    if (!waitsForTests(s) || !config.testsByCi(s.service())) {
                        continue;
                    }
                    String context = config.ciContext(s.service());
                    CiVerdict counted = context != null ? (context.equals(v.context()) ? v : null)
                            : combined(onCommit.computeIfAbsent(v.commit(), checks::onCommit));
                    if (counted == null) {
                        continue;
                    }
                    ServiceSnapshot at = trees.snapshot(commit, s.service());
                    if (at == null || !at.treeId().equals(s.tree())) {
                        continue; // another tree: its result would belong to nothing the service is now
                    }
                    results.save(run(s.service(), s.tree(), counted, config.coverageMin(s.service())), now);
                    recheck.accept(s.service());
                    recorded++;
                }
            }
            checks.applied(check, now);
        }
        return recorded;
    }

    /** TESTING waits for a verdict; a failing or passed tree takes a newer one (a re-run). */
    private static boolean waitsForTests(ServiceState s) {
        return s.tree() != null && (s.phase() == Phase.TESTING || s.phase() == Phase.TESTS_FAILING || s.phase() == Phase.READY_FOR_DEPLOY);
    }

    /** Every check on a commit as one: failure if one failed, null while one is pending, else success with the counts summed. */
    static CiVerdict combined(List<CiStore.Check> all) {
        List<CiVerdict> failing = new ArrayList<>();
        int tests = 0;
        int failed = 0;
        int skipped = 0;
        boolean counted = false;
        int checks = 0;
        CiVerdict any = null;
        for (CiStore.Check c : all) {
            CiVerdict v = c.verdict();
            if (CiVerdict.own(v.context())) {
                continue; // the coordinator's own status, not a check of the team's CI
            }
            any = v;
            checks++;
            if (CiVerdict.PENDING.equals(v.state())) {
                return null;
            }
            if (CiVerdict.FAILURE.equals(v.state())) {
                failing.add(v);
            }
            if (v.tests() != null) {
                counted = true;
                tests += v.tests();
                failed += v.failed() == null ? 0 : v.failed();
                skipped += v.skipped() == null ? 0 : v.skipped();
            }
        }
        if (any == null) {
            return null;
        }
        if (!failing.isEmpty()) {
            CiVerdict f = failing.get(0);
            return new CiVerdict(f.forge(), f.commit(), f.context() + (failing.size() > 1 ? " and " + (failing.size() - 1) + " more" : ""),
                    CiVerdict.FAILURE, f.url(), f.summary(), counted ? tests : null, counted ? failed : null, counted ? skipped : null, null);
        }
        return new CiVerdict(any.forge(), any.commit(), checks == 1 ? any.context() : checks + " checks", CiVerdict.SUCCESS,
                any.url(), any.summary(), counted ? tests : null, counted ? failed : null, counted ? skipped : null, null);
    }

    /** The verdict as a test result of one tree: the check's name and link go into the summary a fix ticket shows. */
    static TestRun run(String service, String tree, CiVerdict v, double coverageMin) {
        boolean coverageOk = v.coverage() == null || v.coverage() >= coverageMin; // the same gate as a run here
        boolean passed = CiVerdict.SUCCESS.equals(v.state()) && coverageOk;
        String counts = v.tests() == null ? "" : " (" + v.tests() + " tests" + (v.failed() == null || v.failed() == 0 ? "" : ", " + v.failed() + " failed")
                + (v.skipped() == null || v.skipped() == 0 ? "" : ", " + v.skipped() + " skipped") + ")";
        String summary = "CI check '" + v.context() + "' " + (CiVerdict.SUCCESS.equals(v.state()) ? "passed" : "failed") + counts
                + (v.coverage() == null ? "" : "; coverage " + v.coverage() + "%" + (coverageOk ? "" : " below the " + coverageMin + "% gate"))
                + (v.url() == null ? "" : ": " + v.url()) + (passed || v.summary() == null || v.summary().isBlank() ? "" : " — " + v.summary());
        int tests = v.tests() == null ? 0 : v.tests();
        int failed = v.failed() != null ? v.failed() : passed ? 0 : 1;
        return new TestRun(service, tree, passed, Math.max(tests, failed), failed, 0, v.skipped() == null ? 0 : v.skipped(), v.coverage(),
                passed ? List.of() : List.of(v.context()), passed ? 0 : 1, false, summary, v.url() == null ? "" : v.url());
    }

    private boolean present(ObjectId commit) {
        try {
            return trees.repo().repository().getObjectDatabase().has(commit);
        } catch (IOException e) {
            return false;
        }
    }
}
