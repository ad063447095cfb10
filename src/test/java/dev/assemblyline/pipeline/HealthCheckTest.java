package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.store.OpsStore;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A plain-HTTP health check, against a socket that answers as it is told: what counts as up, down, silent. */
class HealthCheckTest {
    ServerSocket server;
    final AtomicReference<String> request = new AtomicReference<>();
    /** Counted down when the test ends: a silent server keeps its connection open until then. */
    final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        done.countDown();
        if (server != null) {
            server.close();
        }
    }

    /** A server that reads the request's head and answers {@code answer} (null: says nothing and keeps the connection). */
    String serve(String answer) throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    head.append((char) b);
                }
                request.set(head.toString());
                if (answer == null) {
                    done.await(); // says nothing until the test has its verdict
                    return;
                }
                s.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            } catch (Exception e) {
                // closed by the test
            }
        });
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    @Test
    void aTwoHundredIsUpAndTheRequestIsAPlainGetOfThePathAndQuery() throws Exception {
        String base = serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        OpsStore.NewCheck c = HealthWatch.plainGet("pay", base + "/health?deep=1", System.nanoTime());
        assertThat(c.ok()).isTrue();
        assertThat(c.detail()).startsWith("answered 200 in ");
        assertThat(request.get()).startsWith("GET /health?deep=1 HTTP/1.1\r\n").contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n")
                .contains("\r\nConnection: close\r\n");
    }

    @Test
    void anErrorStatusIsDownAndARedirectIsNotFollowed() throws Exception {
        assertThat(HealthWatch.plainGet("pay", serve("HTTP/1.0 503 Service Unavailable\r\n\r\n") + "/health", System.nanoTime()))
                .satisfies(c -> assertThat(c.ok()).isFalse()).satisfies(c -> assertThat(c.detail()).startsWith("answered 503 in "));
        server.close();
        assertThat(HealthWatch.plainGet("pay", serve("HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n") + "/", System.nanoTime()))
                .satisfies(c -> assertThat(c.ok()).isFalse()).satisfies(c -> assertThat(c.detail()).startsWith("answered 302 in "));
    }

    @Test
    void nothingListeningOrSomethingElseThanHttpIsUnreachable() throws Exception {
        String base = serve("SSH-2.0-OpenSSH\r\n");
        assertThat(HealthWatch.plainGet("pay", base + "/health", System.nanoTime()).detail()).startsWith("unreachable after ");
        int port = server.getLocalPort();
        server.close();
        OpsStore.NewCheck closed = HealthWatch.plainGet("pay", "http://127.0.0.1:" + port + "/health", System.nanoTime());
        assertThat(closed.ok()).isFalse();
        assertThat(closed.detail()).startsWith("unreachable after ");
    }

    @Test
    void aServiceThatAcceptsAndSaysNothingHasNoAnswerByTheDeadline() throws Exception {
        String base = serve(null);
        // started as if most of the check's time were gone: its deadline is a quarter of a second away
        long t0 = System.nanoTime() - HealthWatch.CHECK_LIMIT.toNanos() + 250_000_000L;
        OpsStore.NewCheck c = HealthWatch.plainGet("pay", base + "/health", t0);
        assertThat(c.ok()).isFalse();
        assertThat(c.detail()).startsWith("no answer in ");
    }
}
