package dev.assemblyline.mcp;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.TicketActions;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.pipeline.Why;
import dev.assemblyline.web.Views;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What an agent can ask and do, for one session: the logic behind the MCP tools and resources
 * ({@link AssemblyMcp}), served in the process for {@code /mcp} and over REST ({@code /api/agent/…}) for
 * the stdio bridge, so both give the same answers. Every call is the session's heartbeat. Refusals
 * (not yours, already claimed, over WIP) are replies with {@code error} set, never exceptions. See
 * docs/agents.md.
 */
public final class AgentDesk {
    /** The tools, in the order they are listed. */
    public static final List<String> TOOLS = List.of("assembly_status", "assembly_why", "assembly_next", "assembly_claim", "assembly_release",
            "assembly_done", "assembly_progress", "assembly_check_spec");

    private static final com.fasterxml.jackson.databind.ObjectWriter PRETTY = new com.fasterxml.jackson.databind.ObjectMapper()
            .writerWithDefaultPrettyPrinter();

    private final Board board;
    private final TicketActions actions;
    private final Why why;
    private final SpecRules rules;
    private final Function<String, byte[]> spec;
    private final java.util.function.Supplier<String> gitUrl;
    private final java.util.function.Supplier<dev.assemblyline.model.Layout> layout;
    private final String branch;
    private final boolean landing;
    private final Runnable changed;

    /**
     * @param spec a service's SPEC.md at the tracked head (null when it has none)
     * @param gitUrl where sessions clone and push (no credentials in it)
     * @param landing whether pushes may go to {@code refs/for/<branch>} (the hosted repository lands them, docs/agents.md)
     * @param changed wakes the loop after an action went through
     */
    public AgentDesk(Board board, TicketActions actions, Why why, SpecRules rules, Function<String, byte[]> spec, java.util.function.Supplier<String> gitUrl,
                     java.util.function.Supplier<dev.assemblyline.model.Layout> layout, String branch, boolean landing,
                     Runnable changed) {
        this.landing = landing;
        this.changed = changed;
        this.board = board;
        this.actions = actions;
        this.why = why;
        this.rules = rules;
        this.spec = spec;
        this.gitUrl = gitUrl;
        this.layout = layout; // where services and their build, tests and production evidence are (docs/layouts.md)
        this.branch = branch;
    }

    /** A tool's answer: text for the agent, structured content, and whether it is a refusal. */
    public record Reply(boolean error, String text, Map<String, Object> data) {
        public static Reply ok(String text, Map<String, Object> data) {
            return new Reply(false, text, data);
        }

        public static Reply refused(String text) {
            return new Reply(true, text, Map.of("error", text));
        }
    }

    /** A resource's content, or null when there is no such resource. */
    public record Content(String uri, String mimeType, String text) {
    }

    /** This desk as the agent of one session (the in-process side of {@link AssemblyMcp}). */
    public AssemblyMcp.Agent as(Session s) {
        return new AssemblyMcp.Agent() {
            @Override
            public Reply call(String tool, Map<String, Object> args) {
                return AgentDesk.this.call(s, tool, args);
            }

            @Override
            public Content read(String uri) {
                return AgentDesk.this.read(s, uri);
            }
        };
    }

    public Reply call(Session s, String tool, Map<String, Object> args) {
        actions.heartbeat(s); // every call counts as the session's heartbeat
        Map<String, Object> a = args == null ? Map.of() : args;
        try {
            return switch (tool) {
                case "assembly_status" -> status(text(a, "service", false));
                case "assembly_why" -> why(text(a, "service", true));
                case "assembly_next" -> next(s);
                case "assembly_claim" -> outcome(actions.claim(number(a, "ticket"), s));
                case "assembly_release" -> outcome(actions.release(number(a, "ticket"), s));
                case "assembly_done" -> outcome(actions.done(number(a, "ticket"), s));
                case "assembly_progress" -> outcome(actions.progress(number(a, "ticket"), s, text(a, "note", false), percent(a)));
                case "assembly_check_spec" -> checkSpec(text(a, "text", true));
                default -> Reply.refused("no tool " + ServiceName.printable(tool) + "; the tools are " + String.join(", ", TOOLS));
            };
        } catch (IllegalArgumentException e) {
            return Reply.refused(e.getMessage());
        }
    }

    /** {@code assembly://services} or {@code assembly://services/{name}/spec}; null for anything else. */
    public Content read(Session s, String uri) {
        actions.heartbeat(s);
        if ("assembly://services".equals(uri)) {
            return new Content(uri, "application/json", json(sorted().stream().map(Views::of).toList()));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("assembly://services/([^/]+)/spec").matcher(uri == null ? "" : uri);
        if (m.matches() && ServiceName.isValid(m.group(1)) && board.service(m.group(1)).isPresent()) {
            byte[] b = spec.apply(m.group(1));
            return b == null ? null : new Content(uri, "text/markdown", new String(b, StandardCharsets.UTF_8));
        }
        return null;
    }

    private Reply status(String service) {
        if (service != null) {
            ServiceState st = known(service);
            Map<String, Object> data = new LinkedHashMap<>(Views.of(st));
            String sentence = why.of(st);
            data.put("why", sentence);
            data.put("open_tickets", board.openTickets(service).stream().map(Views::of).toList());
            return Reply.ok(service + ": " + st.phase() + " since " + st.since() + ". " + sentence, data);
        }
        Map<String, Integer> counts = new TreeMap<>();
        List<Map<String, Object>> services = new ArrayList<>();
        sorted().forEach(st -> {
            counts.merge(st.phase().name(), 1, Integer::sum);
            services.add(Map.of("service", st.service(), "phase", st.phase().name()));
        });
        StringBuilder text = new StringBuilder(services.size() + " services");
        counts.forEach((p, n) -> text.append(text.indexOf(":") < 0 ? ": " : ", ").append(n).append(' ').append(p));
        text.append('.');
        services.stream().limit(50).forEach(m -> text.append('\n').append(m.get("service")).append(": ").append(m.get("phase")));
        if (services.size() > 50) {
            text.append("\n… and ").append(services.size() - 50).append(" more (assembly://services lists them all)");
        }
        return Reply.ok(text.toString(), Map.of("counts", counts, "services", services));
    }

    private Reply why(String service) {
        ServiceState st = known(service);
        String sentence = why.of(st);
        return Reply.ok(service + " (" + st.phase() + "): " + sentence, Map.of("service", service, "phase", st.phase().name(), "why", sentence));
    }

    /** The ticket offered to the session, else the oldest waiting one it has the capability for. */
    private Reply next(Session s) {
        Optional<Ticket> offered = board.tickets(null, Ticket.State.OFFERED, s.id(), 50).stream().min(Comparator.comparingLong(Ticket::id));
        Optional<Ticket> pick = offered.isPresent() ? offered : board.tickets(null, Ticket.State.QUEUED, null, 1000).stream()
                .filter(t -> s.capabilities().contains(t.kind().capability()) && !t.skip().contains(s.id()))
                .min(Comparator.comparingLong(Ticket::id));
        if (pick.isEmpty()) {
            List<Ticket> mine = board.tickets(null, Ticket.State.CLAIMED, s.id(), 50);
            String text = mine.isEmpty() ? "Nothing for you now: no ticket is offered to " + s.id() + " and none waits for a "
                    + String.join(" or ", s.capabilities()) + ". Ask again later."
                    : "Nothing new: you hold " + String.join(", ", mine.stream().map(t -> "#" + t.id() + " (" + t.kind().label() + " "
                    + t.service() + ")").toList()) + "; finish it with assembly_done.";
            return Reply.ok(text, Map.of("ticket", "none", "held", mine.stream().map(Ticket::id).toList()));
        }
        Ticket t = pick.get();
        String root = layout.get().root();
        String folder = (root.isEmpty() ? "" : root + "/") + t.service() + "/";
        byte[] specBytes = spec.apply(t.service());
        String specText = specBytes == null ? null : new String(specBytes, StandardCharsets.UTF_8);
        String done = doneMeans(t.kind(), folder);
        List<String> steps = List.of(
                "git clone " + gitUrl.get() + " line && cd line   (or: git pull in your clone)",
                "work in " + folder + " as below, then: git add " + folder,
                "git commit -m \"" + t.service() + ": " + t.kind().label() + " (#" + t.id() + ")\"",
                landing ? "git push origin HEAD:refs/for/" + branch + "   (lands on " + branch + " even if others pushed since you pulled;"
                        + " refused only on a conflict: then git pull --rebase and push again)"
                        : "git push origin HEAD:" + branch + "   (if refused, git pull --rebase and push again; never force)",
                "assembly_done ticket=" + t.id());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("ticket", t.id());
        data.put("service", t.service());
        data.put("kind", t.kind().label());
        data.put("state", t.state().label());
        data.put("offered_to_you", t.state() == Ticket.State.OFFERED);
        data.put("offer_expires", t.offerExpires() == null ? null : t.offerExpires().toString());
        data.put("spec", specText);
        data.put("done_means", done);
        data.put("git_steps", steps);
        StringBuilder text = new StringBuilder();
        text.append(t.state() == Ticket.State.OFFERED ? "Ticket #" + t.id() + " is offered to you" + (t.offerExpires() == null ? ""
                : " until " + t.offerExpires()) : "Ticket #" + t.id() + " waits for a " + t.kind().capability())
                .append(": ").append(t.kind().label()).append(" for ").append(t.service()).append(". Claim it with assembly_claim ticket=")
                .append(t.id()).append(".\n\nDone means: ").append(done).append("\n\nSteps:\n");
        for (int i = 0; i < steps.size(); i++) {
            text.append(i + 1).append(". ").append(steps.get(i)).append('\n');
        }
        text.append("\nSPEC.md at the head of ").append(branch).append(":\n")
                .append(specText == null ? "(none yet: writing it is the spec ticket's work)" : specText);
        return Reply.ok(text.toString(), data);
    }

    private String doneMeans(Ticket.Kind kind, String folder) {
        dev.assemblyline.model.Layout l = layout.get();
        String build = l.buildFolder() ? folder + l.build() + "/" : folder;
        String tests = l.equals(dev.assemblyline.model.Layout.DEFAULT.withRoot(l.root())) ? folder + "BUILD/tests/"
                : "tests in " + build + " (" + l.testsLabel() + ")";
        return switch (kind) {
            case SPEC -> folder + l.spec().get(0) + " has every section the coordinator requires (" + String.join(", ", rules.required())
                    + "), each with real content; check it first with assembly_check_spec.";
            case BUILD -> build + " holds the service's code and its build files (README, a Dockerfile or the files assembly.yml"
                    + " asks for), pushed; the coordinator checks the build itself.";
            case TESTS -> tests + " exercise the service, pushed; the coordinator runs them itself"
                    + " (coverage gate included) and a failure opens a fix ticket.";
            case FIX -> "the failing tests of " + build + " pass: push the fix; the coordinator runs the suite again on the new tree.";
            case DEPLOY -> "the tested tree runs in production and " + folder + l.productionLabel() + " records it (e.g. deploy.json with the"
                    + " health URL), pushed; the coordinator then checks health.";
            case RECOVER -> "the service answers its health checks again (restart or roll back); the coordinator sees it recover.";
        };
    }

    private Reply checkSpec(String text) {
        List<String> problems = rules.problems(text);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("complete", problems.isEmpty());
        data.put("problems", problems);
        data.put("required", rules.required());
        return Reply.ok(problems.isEmpty() ? "Complete: every required section (" + String.join(", ", rules.required())
                + ") has content. Push it." : "Not complete yet:\n- " + String.join("\n- ", problems), data);
    }

    private Reply outcome(TicketDesk.Outcome o) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("status", o.status());
        if (o.ticket() != null) {
            data.putAll(Views.of(o.ticket()));
        }
        if (o.ok()) {
            changed.run();
        }
        return new Reply(!o.ok(), o.message(), data);
    }

    private ServiceState known(String name) {
        return (ServiceName.isValid(name) ? board.service(name) : Optional.<ServiceState>empty()).orElseThrow(() ->
                new IllegalArgumentException("no service " + ServiceName.printable(name) + " (assembly_status lists them)"));
    }

    private List<ServiceState> sorted() {
        return board.services().values().stream().sorted(Comparator.comparing(ServiceState::service)).toList();
    }

    private static String text(Map<String, Object> a, String key, boolean required) {
        Object v = a.get(key);
        if (v == null || v.toString().isBlank()) {
            if (required) {
                throw new IllegalArgumentException("'" + key + "' is required");
            }
            return null;
        }
        return v.toString();
    }

    private static long number(Map<String, Object> a, String key) {
        Object v = a.get(key);
        if (v instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() > 0) {
            return n.longValue();
        }
        String t = v == null ? "" : v.toString().strip().replaceFirst("^#", "");
        if (t.matches("\\d{1,18}")) {
            return Long.parseLong(t);
        }
        throw new IllegalArgumentException("'" + key + "' must be a ticket number, e.g. 41");
    }

    private static Integer percent(Map<String, Object> a) {
        Object v = a.get("percent");
        if (v == null) {
            return null;
        }
        if (v instanceof Number n && n.intValue() >= 0 && n.intValue() <= 100) {
            return n.intValue();
        }
        throw new IllegalArgumentException("'percent' must be a number from 0 to 100");
    }

    private static String json(Object o) {
        try {
            return PRETTY.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Phase names an agent may meet, for the tool descriptions. */
    static String phases() {
        return String.join(", ", java.util.Arrays.stream(Phase.values()).map(Enum::name).toList());
    }
}
