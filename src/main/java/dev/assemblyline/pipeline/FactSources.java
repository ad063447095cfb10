package dev.assemblyline.pipeline;

import dev.assemblyline.model.Facts;
import dev.assemblyline.verify.RepoConfig;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where the facts beyond the tree come from: claimed build tickets (service → holder, which makes
 * BUILD_IN_PROGRESS), the newest test verdict per service (the detector checks the tree), health
 * verdicts, and trees deployed by a deploy command.
 */
public record FactSources(Supplier<Map<String, String>> buildClaims, Supplier<Map<String, Facts.TestVerdict>> verdicts,
                          Supplier<Map<String, Facts.Health>> health, Supplier<Map<String, String>> deployed) {
    public static final FactSources NONE = new FactSources(Map::of, Map::of, Map::of, Map::of);

    /** Each service's facts under {@code config}, read once from every source (one look at many services). */
    Function<String, Facts> under(RepoConfig config) {
        Map<String, String> claims = buildClaims.get();
        Map<String, Facts.TestVerdict> tests = verdicts.get();
        Map<String, Facts.Health> healths = health.get();
        Map<String, String> deploys = deployed.get();
        return name -> {
            Facts f = Verification.facts(config, name).withTests(tests.get(name)).withDeployedTree(deploys.get(name))
                    .withHealth(healths.getOrDefault(name, Facts.Health.UNKNOWN), null);
            String holder = claims.get(name);
            return holder == null ? f : f.withBuildClaimedBy(holder);
        };
    }
}
