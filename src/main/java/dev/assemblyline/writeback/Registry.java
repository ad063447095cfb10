package dev.assemblyline.writeback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code SERVICE_REGISTRY.json} at the repository's root: every service with its phase, holder, since,
 * tree, last test counts, last deploy and health, as the coordinator knows them when it writes. Services
 * in name order, one per line, keys in a fixed order, so a change of one service is a one-line diff
 * (docs/status-board.md).
 */
public final class Registry {
    public static final String PATH = "SERVICE_REGISTRY.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keys sorted at every level: the same state is always the same bytes. */
    private static final com.fasterxml.jackson.databind.ObjectWriter SORTED = JSON.writer()
            .with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private Registry() {
    }

    /** Last test run: its tree and counts. */
    public record Tests(String tree, boolean passed, int tests, int failed, int errors, int skipped) {
    }

    /** Last deploy: the tree, whether it worked, how (PRODUCTION/, the deploy command). */
    public record Deploy(String tree, boolean ok, String by, String at) {
    }

    /** One service's line. */
    public record Row(String service, String phase, String holder, Long ticket, String since, String tree, Tests tests, Deploy deploy,
                      String health) {
    }

    /** The file for these rows (already in name order). */
    public static byte[] render(List<Row> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + rows.size() * 320);
        out.writeBytes(("{\n  \"about\": \"Written by Assembly Line when a service changes phase or holder; do not edit (docs/status-board.md)\",\n"
                + "  \"services\": {").getBytes(StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                Map<String, Object> m = new java.util.HashMap<>();
                m.put("phase", r.phase());
                m.put("holder", r.holder());
                m.put("ticket", r.ticket());
                m.put("since", r.since());
                m.put("tree", r.tree());
                m.put("tests", r.tests() == null ? null : Map.of("tree", r.tests().tree(), "passed", r.tests().passed(), "tests", r.tests().tests(),
                        "failed", r.tests().failed(), "errors", r.tests().errors(), "skipped", r.tests().skipped()));
                m.put("deploy", r.deploy() == null ? null : Map.of("tree", r.deploy().tree(), "ok", r.deploy().ok(),
                        "by", r.deploy().by(), "at", r.deploy().at()));
                m.put("health", r.health());
                out.writeBytes(((i == 0 ? "\n    " : ",\n    ") + JSON.writeValueAsString(r.service()) + ": "
                        + SORTED.writeValueAsString(m)).getBytes(StandardCharsets.UTF_8));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing " + PATH, e);
        }
        out.writeBytes((rows.isEmpty() ? "}\n}\n" : "\n  }\n}\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
