package dev.assemblyline.app;

import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code assembly claim|release|done|progress TICKET}: a session's ticket actions, through the server's REST API. */
final class TicketCommands {
    private TicketCommands() {
    }

    abstract static class Action implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TICKET", description = "Ticket id (41 or #41).")
        String ticket;

        @Option(names = "--server", defaultValue = "${env:ASSEMBLY_URL:-http://localhost:8900}", paramLabel = "URL",
                description = "The coordinator (default: $ASSEMBLY_URL, else ${DEFAULT-VALUE}).")
        String server;

        @Option(names = "--token", defaultValue = "${env:ASSEMBLY_TOKEN}", paramLabel = "TOKEN",
                description = "The session's token (default: $ASSEMBLY_TOKEN).")
        String token;

        @Spec
        CommandSpec spec;

        abstract String action();

        String body() {
            return "";
        }

        @Override
        public Integer call() throws Exception {
            String id = ticket.replaceFirst("^#", "");
            if (!id.matches("\\d{1,18}")) {
                throw new Main.UserException("a ticket id is a number, not '" + ticket + "'");
            }
            if (token == null || token.isBlank()) {
                throw new Main.UserException("no token: pass --token or set ASSEMBLY_TOKEN");
            }
            HttpRequest req = HttpRequest.newBuilder(URI.create(server.replaceAll("/+$", "") + "/api/tickets/" + id + "/" + action()))
                    .timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body())).build();
            HttpResponse<String> r;
            try {
                r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                throw new Main.UserException("cannot reach " + server + " (is `assembly serve` running?)");
            }
            String message = field(r.body());
            PrintWriter out = r.statusCode() == 200 ? spec.commandLine().getOut() : spec.commandLine().getErr();
            out.println((r.statusCode() == 200 ? "" : "assembly: ") + message);
            out.flush();
            return switch (r.statusCode()) {
                case 200 -> 0;
                case 401, 403, 400, 404 -> Main.EXIT_USAGE;
                default -> 1;
            };
        }

        /** "message" or "error" of the JSON answer, else the body itself. */
        private static String field(String body) {
            try (var p = ScanCommand.JSON.createParser(body)) {
                String found = null;
                while (p.nextToken() != null) {
                    if (p.currentToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME
                            && (p.currentName().equals("message") || p.currentName().equals("error")) && p.getParsingContext().getParent().inRoot()) {
                        p.nextToken();
                        found = p.getText();
                    }
                }
                return found != null ? found : body;
            } catch (java.io.IOException e) {
                return body;
            }
        }
    }

    @Command(name = "claim", mixinStandardHelpOptions = true, description = "Claim a ticket for your session (409 if someone holds it).")
    static final class Claim extends Action {
        @Override
        String action() {
            return "claim";
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true,
            description = "Give a ticket back; it goes to another session when one can take it (the answer says who).")
    static final class Release extends Action {
        @Override
        String action() {
            return "release";
        }
    }

    @Command(name = "done", mixinStandardHelpOptions = true, description = "Say a ticket's work is done; the service moves on.")
    static final class Done extends Action {
        @Override
        String action() {
            return "done";
        }
    }

    @Command(name = "progress", mixinStandardHelpOptions = true, description = "Report progress (also renews the lease).")
    static final class Progress extends Action {
        @Option(names = "--note", paramLabel = "TEXT", description = "What is happening.")
        String note;

        @Option(names = "--percent", paramLabel = "N", description = "0..100.")
        Integer percent;

        @Override
        String action() {
            return "progress";
        }

        @Override
        String body() {
            com.fasterxml.jackson.databind.node.ObjectNode b = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            if (note != null) {
                b.put("note", note); // Jackson escapes what JSON needs escaped: quotes, tabs, control characters
            }
            if (percent != null) {
                b.put("percent", percent);
            }
            return b.toString();
        }
    }
}
