package dev.assemblyline.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What a repository says about its services in {@code assembly.yml} at its root:
 * <pre>
 * coverage_min: 80          # the default gate (percent)
 * test_timeout: 15m
 * services:
 *   billing:
 *     build_files: [pom.xml, Dockerfile]
 *     test: mvn -q -B test
 *     coverage_min: 60
 *     deploy: ./deploy.sh
 *     deploy_secrets: [DEPLOY_TOKEN]   # passed to the deploy by name, nothing else is
 *     health: https://billing.example.com/health
 *     restart: ./restart.sh
 *     network: true                    # the test suite may use the network (deploys and restarts always may)
 * </pre>
 * A file that does not parse counts as empty and says why in {@link #problem}.
 */
public record RepoConfig(double coverageMin, Duration testTimeout, Map<String, Service> services, String problem) {

    public static final RepoConfig DEFAULT = new RepoConfig(80, Duration.ofMinutes(15), Map.of(), null);
    /** Built on first use: most repositories have no assembly.yml, and a short command should not pay for YAML. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());
    }

    /** One service's settings; null fields fall back to the defaults. */
    public record Service(List<String> buildFiles, String test, Double coverageMin, String deploy, List<String> deploySecrets,
                          String health, String restart, boolean network) {
        static final Service NONE = new Service(null, null, null, null, List.of(), null, null, false);
    }

    public Service service(String name) {
        return services.getOrDefault(name, Service.NONE);
    }

    public double coverageMin(String name) {
        Double c = service(name).coverageMin();
        return c != null ? c : coverageMin;
    }

    public static RepoConfig parse(byte[] yaml) {
        if (yaml == null || yaml.length == 0) {
            return DEFAULT;
        }
        try {
            JsonNode root = Yaml.MAPPER.readTree(yaml);
            if (root == null || !root.isObject()) {
                return new RepoConfig(80, Duration.ofMinutes(15), Map.of(), "assembly.yml is not a mapping; ignored");
            }
            double cov = root.path("coverage_min").asDouble(80);
            Duration timeout = root.hasNonNull("test_timeout") ? duration(root.get("test_timeout").asText()) : Duration.ofMinutes(15);
            if (timeout.compareTo(Duration.ofSeconds(10)) < 0 || timeout.compareTo(Duration.ofHours(24)) > 0) {
                timeout = Duration.ofMinutes(15); // out of 10 s .. 24 h: the default, not a run killed at once or never
            }
            Map<String, Service> services = new HashMap<>();
            JsonNode s = root.path("services");
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode n = e.getValue();
                services.put(e.getKey(), new Service(list(n.get("build_files")), text(n, "test"),
                        n.hasNonNull("coverage_min") ? n.get("coverage_min").asDouble() : null, text(n, "deploy"),
                        list(n.get("deploy_secrets")) == null ? List.of() : list(n.get("deploy_secrets")), text(n, "health"), text(n, "restart"),
                        n.path("network").asBoolean(false)));
            }
            return new RepoConfig(cov, timeout, services, null);
        } catch (Exception e) {
            return new RepoConfig(80, Duration.ofMinutes(15), Map.of(), "assembly.yml could not be read (" + e.getMessage() + "); ignored");
        }
    }

    private static Duration duration(String t) {
        return dev.assemblyline.model.Durations.parse(t);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static List<String> list(JsonNode n) {
        if (n == null || !n.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }
}
