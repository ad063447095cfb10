package dev.assemblyline.verify;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.assemblyline.model.Durations;
import dev.assemblyline.model.Layout;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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
 * and the repository's layout (docs/layouts.md): {@code root}, {@code spec}, {@code build}, {@code tests},
 * {@code production}; see {@link Layout}.
 * The file is bound to records with Jackson's YAML module. A file that does not parse, or has a key
 * that is not one of these, counts as empty and says why in {@link #problem} (with the key and the
 * line); the coordinator logs that to the event log for the commit that brought it.
 */
public record RepoConfig(double coverageMin, Duration testTimeout, Map<String, Service> services, String problem, Layout layoutAsWritten, Ci ci) {

    /**
     * Test verdicts from the team's CI instead of runs here (docs/ci.md): {@code tests: ci} at the top (every
     * service) or in a service's entry ({@code ci}, or {@code run} to run one here anyway), and
     * {@code ci_context}: the check or status that counts, {@code {service}} standing for the name.
     */
    public record Ci(boolean all, String context, Map<String, Boolean> services, Map<String, String> contexts) {
        static final Ci NONE = new Ci(false, null, Map.of(), Map.of());
    }

    /** Whether the forge's CI, not the coordinator, tests this service. */
    public boolean testsByCi(String service) {
        Boolean b = ci.services().get(service);
        return b != null ? b : ci.all();
    }

    /** The check or status whose verdict counts for this service; null: every check reported on the commit. */
    public String ciContext(String service) {
        String c = ci.contexts().getOrDefault(service, ci.context());
        return c == null ? null : c.replace("{service}", service);
    }

    /** The coordinator's own layout with the root left to ASSEMBLY_SERVICES_ROOT (a null root: not written). */
    private static final Layout UNSAID = Layout.DEFAULT.withRoot(null);

    public static final RepoConfig DEFAULT = new RepoConfig(80, Duration.ofMinutes(15), Map.of(), null, UNSAID, Ci.NONE);

    /**
     * Where services live and what each phase's evidence is (docs/layouts.md): as written, the root
     * falling back to {@code configuredRoot} (ASSEMBLY_SERVICES_ROOT, SERVICES by default) when not written.
     */
    public Layout layout(String configuredRoot) {
        return layoutAsWritten.root() != null ? layoutAsWritten : layoutAsWritten.withRoot(dev.assemblyline.git.ServiceTrees.normaliseRoot(configuredRoot));
    }

    /** The same settings with another layout. */
    public RepoConfig withLayout(Layout l) {
        return new RepoConfig(coverageMin, testTimeout, services, problem, l, ci);
    }

    /**
     * The files a service's build must have, when assembly.yml says; otherwise null (the stack's rule) in
     * the default layout and none in an adopted one, where the code is whatever the team already has.
     */
    public List<String> requiredBuildFiles(String name) {
        List<String> written = service(name).buildFiles();
        return written != null ? written : layoutAsWritten.buildFolder() && layoutAsWritten.build().equals("BUILD") ? null : List.of();
    }

    /** Built on first use: most repositories have no assembly.yml, and a short command should not pay for YAML. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY); // build_files: pom.xml is a list of one
    }

    /** The file as written. */
    private record File(Double coverageMin, String testTimeout, Map<String, ServiceEntry> services, String root, List<String> spec, String build,
                        List<String> tests, List<String> production, String ciContext) {
    }

    /** One service's entry as written. */
    private record ServiceEntry(List<String> buildFiles, String test, Double coverageMin, String deploy, List<String> deploySecrets,
                                String health, String restart, Boolean network, String tests, String ciContext) {
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

    /** The last file parsed and what it said: every reconcile reads assembly.yml, which seldom changes. */
    private static volatile Map.Entry<byte[], RepoConfig> last;

    public static RepoConfig parse(byte[] yaml) {
        if (yaml == null || yaml.length == 0) {
            return DEFAULT;
        }
        Map.Entry<byte[], RepoConfig> seen = last;
        if (seen != null && java.util.Arrays.equals(seen.getKey(), yaml)) {
            return seen.getValue();
        }
        RepoConfig parsed = parseNew(yaml);
        last = Map.entry(yaml.clone(), parsed);
        return parsed;
    }

    private static RepoConfig parseNew(byte[] yaml) {
        File f;
        try (com.fasterxml.jackson.core.JsonParser p = Yaml.MAPPER.createParser(yaml)) {
            if (p.nextToken() == null) {
                return DEFAULT; // comments only
            }
            f = Yaml.MAPPER.readValue(p, File.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : " (known: " + e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", ")) + ")";
            return ignored(lineOf(yaml, e), "unknown key '" + e.getPropertyName() + "'" + where(e) + known);
        } catch (JsonMappingException e) {
            return ignored(e.getLocation(), "wrong type" + where(e) + ": " + e.getOriginalMessage().replaceAll("\\s+", " "));
        } catch (JsonProcessingException e) {
            return ignored(e.getLocation(), "not YAML: " + e.getOriginalMessage().replaceAll("\\s+", " "));
        } catch (IOException | RuntimeException e) {
            return ignored(null, "could not be read: " + e.getMessage());
        }
        if (f == null) {
            return DEFAULT; // "~" or "null"
        }
        Duration timeout;
        try {
            timeout = f.testTimeout() == null ? DEFAULT.testTimeout() : Durations.parse(f.testTimeout());
        } catch (IllegalArgumentException e) {
            return ignored(null, "test_timeout: " + e.getMessage());
        }
        if (timeout.compareTo(Duration.ofSeconds(10)) < 0 || timeout.compareTo(Duration.ofHours(24)) > 0) {
            timeout = DEFAULT.testTimeout(); // out of 10 s .. 24 h: the default, not a run killed at once or never
        }
        // "tests: ci": verdicts from the forge's CI; any other value lists where tests live (a folder named ci is "ci/")
        boolean ciAll = f.tests() != null && f.tests().size() == 1 && f.tests().get(0) != null && f.tests().get(0).strip().equals("ci");
        List<String> testPaths = ciAll ? null : f.tests();
        Layout layout;
        try {
            String root = f.root() == null ? null : f.root().strip().equals(".") ? "" : dev.assemblyline.git.ServiceTrees.normaliseRoot(f.root());
            String build = f.build() == null ? "BUILD" : f.build().strip().equals(".") || f.build().isBlank() ? ""
                    : Layout.paths("build", List.of(f.build()), false).get(0).replaceAll("/+$", "");
            layout = new Layout(root, f.spec() == null ? UNSAID.spec() : Layout.paths("spec", f.spec(), true), build,
                    testPaths == null ? UNSAID.tests() : Layout.paths("tests", testPaths, false),
                    f.production() == null ? UNSAID.production() : Layout.paths("production", f.production(), false));
        } catch (IllegalArgumentException e) {
            return ignored(0, e.getMessage().replace("services root", "root"));
        }
        Map<String, Service> services = new HashMap<>();
        Map<String, Boolean> ciServices = new HashMap<>();
        Map<String, String> ciContexts = new HashMap<>();
        if (f.services() != null) {
            for (var e : f.services().entrySet()) {
                ServiceEntry se = e.getValue();
                if (se == null) {
                    continue;
                }
                if (se.tests() != null) {
                    switch (se.tests().strip()) {
                        case "ci" -> ciServices.put(e.getKey(), true);
                        case "run" -> ciServices.put(e.getKey(), false);
                        default -> {
                            return ignored(0, "services." + e.getKey() + ".tests must be 'ci' (the forge's CI tests it) or 'run' (the coordinator does)");
                        }
                    }
                }
                if (se.ciContext() != null && !se.ciContext().isBlank()) {
                    ciContexts.put(e.getKey(), se.ciContext().strip());
                }
            }
            f.services().forEach((name, e) -> services.put(name, e == null ? Service.NONE : new Service(e.buildFiles() == null ? null
                    : List.copyOf(e.buildFiles()), e.test(), e.coverageMin(), e.deploy(), e.deploySecrets() == null ? List.of()
                    : List.copyOf(e.deploySecrets()), e.health(), e.restart(), Boolean.TRUE.equals(e.network()))));
        }
        Ci ci = new Ci(ciAll, f.ciContext() == null || f.ciContext().isBlank() ? null : f.ciContext().strip(), Map.copyOf(ciServices), Map.copyOf(ciContexts));
        return new RepoConfig(f.coverageMin() == null ? DEFAULT.coverageMin() : f.coverageMin(), timeout, Map.copyOf(services), null, layout, ci); // shared: see #last
    }

    private static RepoConfig ignored(JsonLocation at, String what) {
        return ignored(at == null ? 0 : at.getLineNr(), what);
    }

    private static RepoConfig ignored(int lineNr, String what) {
        String line = lineNr < 1 ? "" : " line " + lineNr;
        return new RepoConfig(DEFAULT.coverageMin(), DEFAULT.testTimeout(), Map.of(), "assembly.yml" + line + ": " + what
                + "; the whole file is ignored until it is fixed", UNSAID, Ci.NONE);
    }

    /**
     * The line of an unknown key: found by walking the file's lines along the key's path (services, then
     * the service, then the key), because the parser's own position may already be past the key's value.
     */
    private static int lineOf(byte[] yaml, UnrecognizedPropertyException e) {
        List<String> lines = new String(yaml, java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        int at = 0;
        for (var ref : e.getPath()) {
            String name = ref.getFieldName();
            if (name == null) {
                continue;
            }
            java.util.regex.Pattern key = java.util.regex.Pattern.compile("^\\s*['\"]?" + java.util.regex.Pattern.quote(name) + "['\"]?\\s*:.*");
            while (at < lines.size() && !key.matcher(lines.get(at)).matches()) {
                at++;
            }
            if (at == lines.size()) {
                return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            }
            at++;
        }
        return at;
    }

    /** " in services.billing" for a key inside a service; "" at the top. */
    private static String where(JsonMappingException e) {
        List<String> path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]").toList();
        List<String> parent = path.isEmpty() ? path : path.subList(0, path.size() - (e instanceof UnrecognizedPropertyException ? 1 : 0));
        return parent.isEmpty() ? "" : " in " + String.join(".", parent);
    }
}
