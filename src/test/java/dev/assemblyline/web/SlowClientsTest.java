package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients cannot starve the server: 500 connections from one address trickling request bodies
 * (127.0.0.2, on loopback) while /health and the API are asked from another (127.0.0.1).
 */
class SlowClientsTest {
    @TempDir
    Path tmp;
    Wiring server;
    final List<Socket> slow = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket s : slow) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void fiveHundredTricklingBodiesLeaveHealthAnswering() throws Exception {
        server = new Wiring(Config.fromEnv(Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString(), "ASSEMBLY_GITHUB_SECRET", "slow-secret",
                "ASSEMBLY_MAX_CONNECTIONS_PER_ADDRESS", System.getProperty("slow.cap", "100"))), Clock.systemUTC(), true);
        InetAddress attacker = InetAddress.getByName("127.0.0.2");
        int refused = 0;
        for (int i = 0; i < 500; i++) {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(attacker, 0));
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
                OutputStream out = s.getOutputStream();
                out.write(("POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: d" + i
                        + "\r\nX-Hub-Signature-256: sha256=00\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(s);
            } catch (java.io.IOException e) {
                refused++;
                s.close();
            }
        }
        HttpClient http = HttpClient.newHttpClient();
        long[] ms = new long[21];
        for (int i = 0; i < ms.length; i++) {
            for (Socket s : slow) {
                try {
                    s.getOutputStream().write(' '); // a byte now and then: never idle, never fast
                } catch (java.io.IOException closed) {
                    // cut off by the server: that is the point
                }
            }
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/services"))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        Arrays.sort(ms);
        System.out.printf("slow clients: %d connected, %d refused at connect; /health median %d ms, max %d ms%n", slow.size(), refused,
                ms[ms.length / 2], ms[ms.length - 1]);
        assertThat(ms[ms.length / 2]).as("median /health latency under 500 slow connections").isLessThan(100);
    }
}
