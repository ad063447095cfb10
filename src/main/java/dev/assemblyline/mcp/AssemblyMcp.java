package dev.assemblyline.mcp;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The line as MCP tools and resources: names, one-sentence descriptions and JSON schemas, in one place
 * for both transports. Each call goes to an {@link Agent}: the session's own desk in the coordinator
 * ({@code /mcp}), or the coordinator's REST API ({@code assembly mcp}, stdio). See docs/agents.md.
 */
public final class AssemblyMcp {
    /** What a tool call or a resource read goes to, for the calling session. */
    public interface Agent {
        AgentDesk.Reply call(String tool, Map<String, Object> args);

        /** A resource, or null when there is no such resource. */
        AgentDesk.Content read(String uri);
    }

    public static final McpJsonMapper JSON = new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper());

    private static final String TICKET = "{\"type\":\"object\",\"properties\":{\"ticket\":{\"type\":\"integer\",\"minimum\":1,"
            + "\"description\":\"the ticket's number, e.g. 41 for #41\"}},\"required\":[\"ticket\"],\"additionalProperties\":false}";

    private AssemblyMcp() {
    }

    /** The tools: name, description, input schema. */
    static List<String[]> tools() {
        return List.of(
                new String[] {"assembly_status", "The pipeline: how many services are in each phase and each service's phase; with 'service',"
                        + " that service's phase, why it is there and its open tickets.",
                        "{\"type\":\"object\",\"properties\":{\"service\":{\"type\":\"string\",\"description\":\"a service's name; leave out"
                                + " for the whole pipeline\"}},\"additionalProperties\":false}"},
                new String[] {"assembly_why", "One sentence saying what a service waits for and on whom (a session, a test run, a push).",
                        "{\"type\":\"object\",\"properties\":{\"service\":{\"type\":\"string\",\"description\":\"the service's name\"}},"
                                + "\"required\":[\"service\"],\"additionalProperties\":false}"},
                new String[] {"assembly_next", "What to work on now: the ticket offered to you (or the oldest one waiting for your"
                        + " capability), with the service's SPEC.md, what done means for it and the exact git steps; claim it next.",
                        "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"},
                new String[] {"assembly_claim", "Claims a ticket so that it is yours to work on; keep calling tools (each is a heartbeat)"
                        + " or the claim lapses.", TICKET},
                new String[] {"assembly_release", "Hands a ticket you hold back so that it goes to someone else.", TICKET},
                new String[] {"assembly_done", "Says your ticket's work is pushed; the coordinator checks the repository and moves the"
                        + " service on.", TICKET},
                new String[] {"assembly_progress", "Reports progress on a ticket you hold (shown on the dashboard and in Slack).",
                        "{\"type\":\"object\",\"properties\":{\"ticket\":{\"type\":\"integer\",\"minimum\":1},\"note\":{\"type\":\"string\","
                                + "\"description\":\"what you did last, in a few words\"},\"percent\":{\"type\":\"integer\",\"minimum\":0,"
                                + "\"maximum\":100}},\"required\":[\"ticket\"],\"additionalProperties\":false}"},
                new String[] {"assembly_check_spec", "Checks a SPEC.md with the coordinator's own rule before you push it: lists the"
                        + " sections that are missing, empty or still the template's text.",
                        "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"description\":\"the whole SPEC.md\"}},"
                                + "\"required\":[\"text\"],\"additionalProperties\":false}"});
    }

    /**
     * A server on {@code transport} (a streamable HTTP provider, or stdio's) whose tool calls and resource
     * reads go to {@code agent(exchange)}: the calling session's agent.
     */
    public static McpSyncServer server(Object transport, Function<McpSyncServerExchange, Agent> agent, String version) {
        List<McpServerFeatures.SyncToolSpecification> specs = new ArrayList<>();
        for (String[] t : tools()) {
            McpSchema.Tool tool = McpSchema.Tool.builder().name(t[0]).description(t[1]).inputSchema(JSON, t[2]).build();
            specs.add(McpServerFeatures.SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
                AgentDesk.Reply r = agent.apply(exchange).call(t[0], request.arguments());
                return McpSchema.CallToolResult.builder().addTextContent(r.text()).structuredContent(r.data()).isError(r.error()).build();
            }).build());
        }
        McpSchema.Resource services = McpSchema.Resource.builder().uri("assembly://services").name("services")
                .description("Every service with its phase and since when (JSON).").mimeType("application/json").build();
        McpSchema.ResourceTemplate spec = McpSchema.ResourceTemplate.builder().uriTemplate("assembly://services/{name}/spec").name("spec")
                .description("A service's SPEC.md at the head of the tracked branch.").mimeType("text/markdown").build();
        java.util.function.BiFunction<McpSyncServerExchange, McpSchema.ReadResourceRequest, McpSchema.ReadResourceResult> read = (exchange, request) -> {
            AgentDesk.Content c = agent.apply(exchange).read(request.uri());
            if (c == null) {
                throw new io.modelcontextprotocol.spec.McpError(new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND,
                        "no resource " + request.uri(), null));
            }
            return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(c.uri(), c.mimeType(), c.text())));
        };
        McpServer.SyncSpecification<?> s = transport instanceof io.modelcontextprotocol.spec.McpStreamableServerTransportProvider p
                ? McpServer.sync(p) : McpServer.sync((io.modelcontextprotocol.spec.McpServerTransportProvider) transport);
        return s.serverInfo("assembly-line", version)
                .instructions("Assembly Line coordinates the services of a monorepo from spec to production. Call assembly_next to"
                        + " get work, assembly_claim to take it, push your changes with git, then assembly_done. Phases: "
                        + AgentDesk.phases() + ".")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).resources(false, false).logging().build())
                .tools(specs)
                .resources(new McpServerFeatures.SyncResourceSpecification(services, read))
                .resourceTemplates(new McpServerFeatures.SyncResourceTemplateSpecification(spec, read))
                .build();
    }
}
