package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A disk-full episode with the packaged coordinator (bench/chaos/disk-full.sh: its data directory on a
 * 40 MB tmpfs, mounted as root): writes are refused with 503 while the disk is full, and after space
 * comes back /health is 200 within 10 s and a push is processed, with no restart.
 */
class DiskFullIT {
    @Test
    void theLineRecoversFromAFullDiskWithoutARestart() throws Exception {
        assertThat(Tools.ok(null, "id", "-u").strip()).as("mounting the small tmpfs needs root (CI runs as root)").isEqualTo("0");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Tools.Result r = Tools.run(Tools.projectDir(), List.of("env", "PORT=" + port, "JAR=" + JarIT.jar(), "sh", "bench/chaos/disk-full.sh"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("write while full: 503").containsPattern("full: +\\{\"status\":\"failing\",\"database\":\"(unreachable|read-only)");
        String line = r.out().lines().filter(l -> l.startsWith("{\"bench\":\"disk-full\"")).findFirst().orElseThrow();
        JsonNode n = new ObjectMapper().readTree(line.replace(":.", ":0."));
        assertThat(n.get("healthy_again_s").asDouble()).as(r.out()).isLessThan(10);
        assertThat(n.get("gap_service").asInt()).as(r.out()).isEqualTo(200);
    }
}
