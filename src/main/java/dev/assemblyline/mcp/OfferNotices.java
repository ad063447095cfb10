package dev.assemblyline.mcp;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Notifier;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import reactor.core.publisher.Mono;

/**
 * Tells agents connected over MCP when something is offered to them, and whatever the coordinator tells
 * their session, as MCP logging notifications on the newest MCP session each agent used: a client that
 * keeps the session's stream open (GET /mcp) hears them at once; one that does not asks
 * {@code assembly_next}. The SDK sends a request's notifications on that request's own stream, closed
 * once it is answered, so this taps the transport for its sessions ({@link #tap}) and sends on the
 * session itself. Sent from its own thread: a slow client never holds up the desk.
 */
public final class OfferNotices implements Notifier, AutoCloseable {
    /** MCP sessions by their id, as the transport starts them. */
    private final Map<String, McpStreamableServerSession> sessions = new ConcurrentHashMap<>();
    /** The newest MCP session id of each of the line's sessions. */
    private final Map<String, String> latest = new ConcurrentHashMap<>();
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mcp-notices");
        t.setDaemon(true);
        return t;
    });

    /** The transport, with every MCP session it starts recorded here. */
    public McpStreamableServerTransportProvider tap(McpStreamableServerTransportProvider transport) {
        return new McpStreamableServerTransportProvider() {
            @Override
            public void setSessionFactory(McpStreamableServerSession.Factory factory) {
                transport.setSessionFactory(request -> {
                    McpStreamableServerSession.McpStreamableServerSessionInit init = factory.startSession(request);
                    sessions.put(init.session().getId(), init.session());
                    return init;
                });
            }

            @Override
            public Mono<Void> notifyClients(String method, Object params) {
                return transport.notifyClients(method, params);
            }

            @Override
            public Mono<Void> closeGracefully() {
                return transport.closeGracefully();
            }

            @Override
            public List<String> protocolVersions() {
                return transport.protocolVersions();
            }
        };
    }

    /** The line's session {@code session} called through MCP session {@code mcpSession}: its notices go there now. */
    public void seen(String session, String mcpSession) {
        String before = latest.put(session, mcpSession);
        if (before != null && !before.equals(mcpSession)) {
            sessions.remove(before); // an agent's older MCP session: nothing more is sent there
        }
    }

    @Override
    public boolean listensToTickets() {
        return !latest.isEmpty(); // no agent has called: nothing to read back for each ticket change
    }

    @Override
    public void ticketChanged(Ticket t, Phase phase, String line) {
        if (t.state() == Ticket.State.OFFERED && t.assignee() != null) {
            send(t.assignee(), "ticket #" + t.id() + " (" + t.kind().label() + " " + t.service() + ") is offered to you"
                    + (t.offerExpires() == null ? "" : " until " + t.offerExpires()) + ": assembly_next shows it, assembly_claim takes it");
        }
    }

    @Override
    public void tell(String session, String service, String text) {
        send(session, text);
    }

    private void send(String session, String text) {
        String id = latest.get(session);
        McpStreamableServerSession mcp = id == null ? null : sessions.get(id);
        if (mcp == null) {
            return;
        }
        sender.execute(() -> {
            try {
                mcp.sendNotification(McpSchema.METHOD_NOTIFICATION_MESSAGE, McpSchema.LoggingMessageNotification.builder()
                        .level(McpSchema.LoggingLevel.NOTICE).logger("assembly").data(text).build()).block(Duration.ofSeconds(10));
            } catch (RuntimeException notListening) {
                // no open stream on that session now (or the client left): this notice is lost, the next may not
                // be; assembly_next finds the offer either way
            }
        });
    }

    @Override
    public void close() {
        sender.shutdownNow();
    }
}
