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
 * in name order, one per line, keys sorted, so a change of one service is a one-line diff
 * (docs/status-board.md).
 */
public final class Registry {
    public static final String PATH = "SERVICE_REGISTRY.json";

    /** Each service's line as last written, with the row it came from: a change of one service renders one line. */
    private final java.util.Map<String, Map.Entry<Row, byte[]>> lines = new java.util.HashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();
    private int lastSize;

    /** A registry writer that remembers each service's line (one per {@link WriteBack}). */
    public Registry() {
    }

    /** Last test run: its tree and counts. */
    public record Tests(String tree, boolean passed, int tests, int failed, int errors, int skipped) {
    }

    /** Last deploy: the tree, whether it worked, how (PRODUCTION/, the deploy command). */
    public record Deploy(String tree, boolean ok, String by, String at) {
    }

    /** One service's line. */
    public record Row(String service, String phase, String holder, Long ticket, java.time.Instant since, String tree, Tests tests, Deploy deploy,
                      String health) {
    }

    /** The file for these rows (already in name order), rendering only the rows that changed since the last call. */
    public synchronized byte[] renderCached(List<Row> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(lastSize > 0 ? lastSize + 4096 : 64 + rows.size() * 320);
        out.writeBytes(HEAD);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Map.Entry<Row, byte[]> cached = lines.get(r.service());
            if (cached == null || cached.getKey() != r && !cached.getKey().equals(r)) {
                cached = Map.entry(r, line(r));
                lines.put(r.service(), cached);
            }
            out.writeBytes(i == 0 ? FIRST : NEXT);
            out.writeBytes(cached.getValue());
        }
        if (lines.size() > rows.size()) { // services went: forget their lines
            java.util.Set<String> now = new java.util.HashSet<>();
            rows.forEach(r -> now.add(r.service()));
            lines.keySet().retainAll(now);
        }
        out.writeBytes(rows.isEmpty() ? EMPTY_END : END);
        lastSize = out.size();
        return out.toByteArray();
    }

    private static final byte[] HEAD = ("{\n  \"about\": \"Written by Assembly Line when a service changes phase or holder; do not edit (docs/status-board.md)\",\n"
            + "  \"services\": {").getBytes(StandardCharsets.UTF_8);
    private static final byte[] FIRST = "\n    ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEXT = ",\n    ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "\n  }\n}\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY_END = "}\n}\n".getBytes(StandardCharsets.UTF_8);

    /** One service's line: {@code "name": {…}}, keys sorted, a field left out when there is nothing to say (no holder, no test run yet). */
    private static byte[] line(Row r) {
        Map<String, Object> m = new java.util.TreeMap<>();
        m.put("phase", r.phase());
        m.put("since", r.since().toString());
        m.put("tree", r.tree());
        if (r.holder() != null) {
            m.put("holder", r.holder());
        }
        if (r.ticket() != null) {
            m.put("ticket", r.ticket());
        }
        if (r.tests() != null) {
            m.put("tests", new java.util.TreeMap<>(Map.of("tree", r.tests().tree(), "passed", r.tests().passed(), "tests", r.tests().tests(),
                    "failed", r.tests().failed(), "errors", r.tests().errors(), "skipped", r.tests().skipped())));
        }
        if (r.deploy() != null) {
            m.put("deploy", new java.util.TreeMap<>(Map.of("tree", r.deploy().tree(), "ok", r.deploy().ok(), "by", r.deploy().by(), "at", r.deploy().at())));
        }
        if (r.health() != null) {
            m.put("health", r.health());
        }
        try {
            return (JSON.writeValueAsString(r.service()) + ": " + JSON.writeValueAsString(m)).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing " + PATH, e);
        }
    }

    /** The file for these rows (already in name order). */
    public static byte[] render(List<Row> rows) {
        return new Registry().renderCached(rows);
    }
}
