package dev.assemblyline.app;

import dev.assemblyline.mcp.AssemblyMcp;
import dev.assemblyline.mcp.RestAgent;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code assembly mcp}: the line's MCP tools over stdio, for clients that only start local processes; see docs/agents.md. */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = {"Serves the line's MCP tools (assembly_next, assembly_claim, assembly_done, …) over stdin and stdout for an"
                + " agent that starts local MCP servers, answering each call through the coordinator's REST API as the session whose"
                + " token it is given. Clients that speak HTTP use the coordinator's /mcp directly.",
                "In an agent's MCP configuration: the command java -jar assembly-line.jar mcp --server URL, with ASSEMBLY_TOKEN set to"
                        + " the session's token in its environment (docs/agents.md)."})
final class McpCommand implements Callable<Integer> {
    @Option(names = "--server", paramLabel = "URL", description = "the coordinator's address (default: $ASSEMBLY_SERVER)")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "the session's token (default: $ASSEMBLY_TOKEN, which keeps it out of the"
            + " process list)")
    String token;

    @Override
    public Integer call() throws Exception {
        String url = server != null ? server : System.getenv("ASSEMBLY_SERVER");
        String t = token != null ? token : System.getenv("ASSEMBLY_TOKEN");
        if (url == null || !url.matches("https?://[^\\s/]+(/.*)?")) {
            throw new Main.UserException("say where the coordinator is: --server http(s)://HOST:PORT (or ASSEMBLY_SERVER)");
        }
        if (t == null || t.isBlank()) {
            throw new Main.UserException("say whose tools these are: --token TOKEN, or ASSEMBLY_TOKEN (the session's token from registration)");
        }
        // a wrong address or token is said now, on stderr, not as every tool call's error
        HttpResponse<String> check;
        try {
            check = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(HttpRequest.newBuilder(
                    URI.create(url.replaceAll("/+$", "") + "/api/agent/resources?uri=assembly%3A%2F%2Fservices"))
                    .header("Authorization", "Bearer " + t).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Main.UserException("cannot reach the coordinator at " + url + ": " + e.getMessage());
        }
        if (check.statusCode() == 401) {
            throw new Main.UserException("the coordinator at " + url + " does not know this token: use the session's own token");
        }
        if (check.statusCode() != 200) {
            throw new Main.UserException("the coordinator at " + url + " answered " + check.statusCode() + " (is it Assembly Line, new enough"
                    + " for MCP?)");
        }
        CountDownLatch ended = new CountDownLatch(1);
        InputStream in = new FilterInputStream(System.in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) {
                    ended.countDown();
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n < 0) {
                    ended.countDown();
                }
                return n;
            }
        };
        RestAgent agent = new RestAgent(url, t);
        McpSyncServer mcp = AssemblyMcp.server(new StdioServerTransportProvider(AssemblyMcp.JSON, in, System.out), exchange -> agent,
                Main.VERSION);
        ended.await(); // the client closed our stdin: it is done with us
        mcp.closeGracefully();
        return 0;
    }
}
