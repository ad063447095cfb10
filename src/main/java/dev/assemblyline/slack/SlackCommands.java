package dev.assemblyline.slack;

import static dev.assemblyline.slack.SlackText.esc;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.SessionRegistry;
import dev.assemblyline.pipeline.TicketActions;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.pipeline.Why;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code /assembly} and the ticket words (claim, release, done) do, and the text they answer with.
 * The text is made by static functions of plain data (table-tested in {@code SlackCommandsTest}); the
 * instance gathers that data from the {@link Board} and acts through {@link TicketActions}, the same code
 * REST uses. Transport (signatures, response_url, threads) is {@link SlackGateway}'s.
 */
public final class SlackCommands {
    static final List<String> TICKET_WORDS = List.of("claim", "release", "done");

    private final String dashboardUrl;
    private final Board board;
    private final TicketActions actions;
    private final Why why;
    private final SessionRegistry sessions;
    private final Messages messages;
    private final Runnable changed;
    /** Capabilities a Slack user may give itself with /assembly join (devops comes from sessions.json or an admin). */
    private final List<String> selfServe;

    /** @param changed tells the loop a ticket changed (after a successful action) */
    /** @param dashboardUrl the dashboard's public address (ASSEMBLY_PUBLIC_URL): status answers link to it; null for none */
    public SlackCommands(Board board, TicketActions actions, Why why, SessionRegistry sessions, Messages messages, Runnable changed,
                         List<String> selfServe, String dashboardUrl) {
        this.dashboardUrl = dashboardUrl == null ? null : dashboardUrl.replaceAll("/+$", "");
        this.board = board;
        this.actions = actions;
        this.why = why;
        this.sessions = sessions;
        this.messages = messages;
        this.changed = changed;
        this.selfServe = selfServe == null ? List.of("architect", "builder", "tester") : List.copyOf(selfServe);
    }

    /** The answer to {@code /assembly <text>} typed by a Slack user. */
    String run(String text, String userId, String userName) {
        String[] words = text.isEmpty() ? new String[0] : text.split("\\s+");
        String verb = words.length == 0 ? "help" : words[0].toLowerCase(Locale.ROOT);
        String arg = words.length > 1 ? words[1] : null;
        return switch (verb) {
            case "status" -> arg == null ? statusText(board.services(), board.openTickets()) + link("/", "Open the dashboard")
                    : serviceStatus(arg);
            case "why" -> arg == null ? help() : serviceStatus(arg);
            case "claim", "release", "done" -> arg == null ? help() : act(verb, arg, userId);
            case "sessions" -> sessionsText(board.sessions(), board.wip());
            case "join" -> join(userId, userName, List.of(words).subList(1, words.length));
            case "leave" -> leave(userId);
            default -> help();
        };
    }

    String help() {
        return messages.format("help", Map.of());
    }

    String notSession() {
        return messages.format("not.session", Map.of());
    }

    private String serviceStatus(String name) {
        ServiceState s = ServiceName.isValid(name) ? board.services().get(name) : null;
        return serviceText(name, s, s == null ? null : why.of(s)) + (s == null ? "" : link("/services/" + name, "Open " + name + " on the dashboard"));
    }

    /** A line linking to a dashboard page, when the dashboard has a public address. */
    private String link(String path, String text) {
        return dashboardUrl == null ? "" : "\n<" + dashboardUrl + path + "|" + text + ">";
    }

    private String join(String userId, String userName, List<String> caps) {
        String refused = joinRefusal(caps, selfServe);
        if (refused != null) {
            return refused;
        }
        try {
            Session s = sessions.join(userId, userName, caps.stream().map(c -> c.toLowerCase(Locale.ROOT)).toList());
            return "You are session *" + esc(s.id()) + "* (" + String.join(", ", s.capabilities()) + "). Work will be offered to you here.";
        } catch (IllegalArgumentException e) {
            return "Could not join: " + esc(e.getMessage());
        }
    }

    private String leave(String userId) {
        Optional<Session> s = board.sessionBySlackUser(userId);
        if (s.isEmpty()) {
            return notSession();
        }
        sessions.remove(s.get().id());
        return "You left; anything you held goes to someone else.";
    }

    /** claim / release / done on a ticket id ({@code 41}, {@code #41}) or a service's current ticket. */
    String act(String verb, String target, String userId) {
        Optional<Session> s = board.sessionBySlackUser(userId);
        if (s.isEmpty()) {
            return notSession();
        }
        Long id = ticketFor(target);
        if (id == null) {
            return "No open ticket for *" + esc(ServiceName.printable(target)) + "*.";
        }
        return esc(act(verb, id, s.get()).message());
    }

    /** One ticket word by a session; the loop is told when it changed something. */
    TicketDesk.Outcome act(String verb, long id, Session s) {
        TicketDesk.Outcome o = switch (verb) {
            case "claim" -> actions.claim(id, s);
            case "release" -> actions.release(id, s);
            default -> actions.done(id, s);
        };
        if (o.ok()) {
            changed.run();
        }
        return o;
    }

    /** The ticket a thread reply means: the thread's own while it is open, else the service's current one. */
    Long ticketForThread(Long threadTicket, String service) {
        boolean open = threadTicket != null && board.ticket(threadTicket).map(t -> t.state().open()).orElse(false);
        return open ? threadTicket : ticketFor(service);
    }

    Optional<Session> session(String slackUser) {
        return board.sessionBySlackUser(slackUser);
    }

    private Long ticketFor(String target) {
        String t = target.replaceFirst("^#", "");
        if (t.matches("\\d{1,18}")) {
            return Long.parseLong(t);
        }
        if (!ServiceName.isValid(t)) {
            return null;
        }
        ServiceState st = board.services().get(t);
        Ticket.Kind want = st == null ? null : Ticket.Kind.forPhase(st.phase());
        List<Ticket> open = board.openTickets(t);
        return open.stream().filter(x -> x.kind() == want).findFirst().or(() -> open.stream().findFirst()).map(Ticket::id).orElse(null);
    }

    // ---- the text, from plain data ---------------------------------------------------------------------

    /** {@code /assembly status}: counts per phase, then who holds what and what waits (15 of each at most). */
    static String statusText(Map<String, ServiceState> all, List<Ticket> open) {
        Map<Phase, Integer> counts = new EnumMap<>(Phase.class);
        all.values().forEach(s -> counts.merge(s.phase(), 1, Integer::sum));
        StringBuilder sb = new StringBuilder("*" + all.size() + " services*: ");
        counts.forEach((p, n) -> sb.append(p).append(' ').append(n).append(" · "));
        if (!counts.isEmpty()) {
            sb.setLength(sb.length() - 3);
        }
        List<String> held = new ArrayList<>();
        List<String> stuck = new ArrayList<>();
        for (Ticket t : open) {
            if (t.assignee() != null) {
                held.add(esc(t.assignee()) + ": " + t.kind().label() + " #" + t.id() + " " + esc(t.service()) + " (" + t.state().label() + ")");
            } else {
                stuck.add(esc(t.service()) + ": " + t.kind().label() + " #" + t.id() + " waits, "
                        + (t.waiting() == null ? "not offered yet" : esc(t.waiting())));
            }
        }
        sb.append("\n*Held* (").append(held.size()).append("):");
        held.stream().limit(15).forEach(h -> sb.append("\n• ").append(h));
        sb.append("\n*Waiting* (").append(stuck.size()).append("):");
        stuck.stream().limit(15).forEach(s -> sb.append("\n• ").append(s));
        return sb.toString();
    }

    /** {@code /assembly status <service>}: its why sentence, or that there is no such service. */
    static String serviceText(String name, ServiceState s, String why) {
        return s == null ? "No service *" + esc(ServiceName.printable(name)) + "*." : "*" + esc(name) + "*: " + esc(why);
    }

    /** {@code /assembly sessions}: each with capabilities, status and WIP. */
    static String sessionsText(List<Session> all, Map<String, Integer> wip) {
        StringBuilder sb = new StringBuilder("*" + all.size() + " sessions*");
        for (Session s : all) {
            sb.append("\n• ").append(esc(s.name())).append(" (").append(esc(s.id())).append("): ").append(String.join(", ", s.capabilities()))
                    .append(", ").append(s.status()).append(", ").append(wip.getOrDefault(s.id(), 0)).append(" of ").append(s.wipLimit())
                    .append(" WIP");
        }
        return sb.toString();
    }

    /** Why {@code /assembly join <caps>} is refused, or null when it may go ahead. */
    static String joinRefusal(List<String> caps, List<String> selfServe) {
        if (caps.isEmpty()) {
            return "Say what you can do: `/assembly join builder tester` (" + String.join(", ", selfServe) + ").";
        }
        for (String c : caps) {
            if (!selfServe.contains(c.toLowerCase(Locale.ROOT))) {
                return "`" + esc(ServiceName.printable(c)) + "` cannot be taken with /assembly join here (" + String.join(", ", selfServe)
                        + " can); ask an admin to add it to sessions.json.";
            }
        }
        return null;
    }
}
