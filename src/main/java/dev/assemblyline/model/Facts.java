package dev.assemblyline.model;

import java.util.List;

/**
 * What the coordinator knows about a service beyond its files: a claimed build ticket, the test result
 * of a tree, the health of the deployment. {@link #NONE} is what {@code scan} uses.
 *
 * @param buildClaimedBy the session holding a claimed build ticket, or null
 * @param tests          the last test result recorded for this service, for whatever tree; null if none
 * @param health         the health of the production deployment
 * @param requiredBuildFiles build files required instead of the stack's (assembly.yml), or null
 * @param deployedTree   the tree the configured deploy command deployed, or null
 * @param testsBy        who gives the test verdict when not the coordinator ("CI check 'test (billing)'", docs/ci.md), or null
 */
public record Facts(String buildClaimedBy, TestVerdict tests, Health health, String healthDetail, List<String> requiredBuildFiles,
                    String deployedTree, String testsBy) {

    public static final Facts NONE = new Facts(null, null, Health.UNKNOWN, null, null, null, null);

    /** The verdicts come from elsewhere (the team's CI), said so while waiting for one. */
    public Facts withTestsBy(String who) {
        return new Facts(buildClaimedBy, tests, health, healthDetail, requiredBuildFiles, deployedTree, who);
    }

    /** Health of a deployed service, from the last probes. */
    public enum Health { UNKNOWN, HEALTHY, UNHEALTHY }

    /**
     * A finished test run of one service tree.
     *
     * @param summary a short human sentence ("3 passed, 1 failed: test_login")
     */
    public record TestVerdict(String treeId, boolean passed, String summary) {
    }

    public Facts withBuildClaimedBy(String session) {
        return new Facts(session, tests, health, healthDetail, requiredBuildFiles, deployedTree, testsBy);
    }

    public Facts withTests(TestVerdict verdict) {
        return new Facts(buildClaimedBy, verdict, health, healthDetail, requiredBuildFiles, deployedTree, testsBy);
    }

    public Facts withHealth(Health h, String detail) {
        return new Facts(buildClaimedBy, tests, h, detail, requiredBuildFiles, deployedTree, testsBy);
    }

    /** The tree the deploy command last deployed successfully, or null. */
    public Facts withDeployedTree(String tree) {
        return new Facts(buildClaimedBy, tests, health, healthDetail, requiredBuildFiles, tree, testsBy);
    }

    /** The build files this service must have ({@code a|b} for either), from assembly.yml; null means by stack. */
    public Facts withRequiredBuildFiles(List<String> files) {
        return new Facts(buildClaimedBy, tests, health, healthDetail, files, deployedTree, testsBy);
    }
}
