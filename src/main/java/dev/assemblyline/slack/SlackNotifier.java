package dev.assemblyline.slack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Notifier;
import dev.assemblyline.store.OutboxStore;
import dev.assemblyline.store.SessionStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Announces in Slack through the outbox: one announcement per (service, phase, tree), updated in place
 * ({@code chat.update}) and followed by a thread line whenever its ticket changes; a direct message to
 * the assignee when its Slack user is known. Never calls Slack itself: {@link OutboxWorker} does.
 */
public final class SlackNotifier implements Notifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM d HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final OutboxStore outbox;
    private final SessionStore sessions;
    private final Messages messages;
    private final String channel;
    private final String specUrl;
    private final Clock clock;

    /**
     * @param specUrl where a service's spec is shown, with {service} in it (what it queues wakes the sender
     *                through the stores: {@link OutboxStore#onQueued}, {@link dev.assemblyline.store.Store#onQueued})
     */
    public SlackNotifier(OutboxStore outbox, SessionStore sessions, Messages messages, String channel, String specUrl, Clock clock) {
        this.outbox = outbox;
        this.sessions = sessions;
        this.messages = messages;
        this.channel = channel;
        this.specUrl = specUrl;
        this.clock = clock;
    }

    @Override
    public void tell(String session, String service, String text) {
        Optional<Session> s = session == null ? Optional.empty() : sessions.session(session);
        if (s.isPresent() && s.get().slackUser() != null) {
            outbox.add(s.get().slackUser(), "post", null, null, service, null, SlackText.esc(text), null, clock.instant());
        }
    }

    @Override
    public List<OutboxStore.Draft> announcement(String service, Phase from, Phase to, String tree, List<String> reasons) {
        Map<String, Object> v = new HashMap<>();
        v.put("service", service);
        v.put("from", from == null ? "new" : from.name());
        v.put("to", to.name());
        v.put("why", String.join("; ", reasons));
        String key = from == null ? "advance.new"
                : from == Phase.UNHEALTHY && to == Phase.PRODUCTION ? "advance.recovered"
                : messages.has("advance." + to.name()) ? "advance." + to.name() : "advance.default";
        String text = messages.format(key, v);
        return List.of(new OutboxStore.Draft(channel, "announce", service + "/" + to.name() + "/" + tree, null, service, null, text,
                blocks(text, null, null, null)));
    }

    @Override
    public List<OutboxStore.Draft> digest(List<Change> changes) {
        Map<String, Integer> byPhase = new java.util.TreeMap<>();
        changes.forEach(c -> byPhase.merge(c.to().name(), 1, Integer::sum));
        Map<String, Object> v = new HashMap<>();
        v.put("count", changes.size());
        v.put("phases", String.join(", ", byPhase.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).toList()));
        v.put("names", String.join(", ", changes.stream().limit(5).map(Change::service).toList()) + (changes.size() > 5 ? ", …" : ""));
        v.put("url", specUrl.replace("{service}", "").replaceAll("/+$", ""));
        String text = messages.format("advance.digest", v);
        Change first = changes.get(0);
        return List.of(new OutboxStore.Draft(channel, "post", "digest/" + first.service() + "/" + first.to().name() + "/" + first.tree()
                + "/" + changes.size(), null, null, null, text, blocks(text, null, null, null)));
    }


    @Override
    public boolean listensToTickets() {
        return true;
    }

    @Override
    public void ticketChanged(Ticket t, Phase phase, String line) {
        Instant now = clock.instant();
        Session who = t.assignee() == null ? null : sessions.session(t.assignee()).orElse(null);
        Optional<OutboxStore.Message> announcement = outbox.latestAnnouncement(t.service());
        String ticketText = ticketText(t, phase, who);
        List<OutboxStore.Draft> drafts = new ArrayList<>(3); // queued together: one commit for the change
        if (announcement.isEmpty() && t.state() == Ticket.State.QUEUED) {
            // no announcement (the service came in a digest, or before a restart) and no one to offer it to:
            // it waits quietly (status, why and the API show it) instead of one channel message per ticket
        } else if (announcement.isEmpty()) {
            // no announcement of this service yet (opened after a restart, say): the ticket gets its own
            drafts.add(new OutboxStore.Draft(channel, "announce", "ticket/" + t.id() + "/" + t.state().label(), null, t.service(), t.id(),
                    ticketText, blocks(ticketText, t, phase, who)));
        } else {
            OutboxStore.Message a = announcement.get();
            String text = a.text().split("\n", 2)[0] + "\n" + ticketText;
            drafts.add(new OutboxStore.Draft(a.channel(), "update", null, a.id(), t.service(), t.id(), text,
                    blocks(a.text().split("\n", 2)[0], t, phase, who)));
            // the thread line is the template of the ticket's new state: wording stays in templates/
            drafts.add(new OutboxStore.Draft(a.channel(), "thread", null, a.id(), t.service(), t.id(),
                    messages.format("assignment." + t.state().label(), values(t, phase, who)), null));
        }
        boolean assigned = t.state() == Ticket.State.OFFERED || t.state() == Ticket.State.CLAIMED && line.contains("start now");
        if (assigned && who != null && who.slackUser() != null) {
            drafts.add(new OutboxStore.Draft(who.slackUser(), "post", "dm/" + t.id() + "/" + t.state().label() + "/" + who.id(), null,
                    t.service(), t.id(), messages.format("dm.offered", values(t, phase, who)), null));
        }
        if (!drafts.isEmpty()) {
            outbox.addAll(drafts, now);
        }
    }

    private String ticketText(Ticket t, Phase phase, Session who) {
        Map<String, Object> v = values(t, phase, who);
        return messages.format("assignment.title", v) + "\n" + messages.format("assignment." + t.state().label(), v);
    }

    private Map<String, Object> values(Ticket t, Phase phase, Session who) {
        Map<String, Object> v = new HashMap<>();
        v.put("service", t.service());
        v.put("phase", phase == null ? "?" : phase.name());
        v.put("kind", t.kind().label());
        v.put("id", t.id());
        v.put("who", who == null ? (t.assignee() == null ? "nobody" : t.assignee())
                : who.slackUser() != null && who.slackUser().matches("[A-Z0-9]{2,30}") ? new SlackText.Markup("<@" + who.slackUser() + ">")
                : who.name());
        v.put("waiting", t.waiting() == null ? "no one is free yet" : t.waiting());
        v.put("offer_ends", t.offerExpires() == null ? "?" : TIME.format(t.offerExpires()));
        v.put("deadline", t.deadline() == null ? "24 h after the claim" : TIME.format(t.deadline()));
        v.put("reason", t.closeReason() == null ? "" : t.closeReason());
        v.put("spec_url", specUrl.replace("{service}", t.service()));
        return v;
    }

    /** Block Kit: the text, and for a ticket its context line and the Claim / Release / Done buttons. */
    private String blocks(String headline, Ticket t, Phase phase, Session who) {
        ArrayNode blocks = JSON.createArrayNode();
        blocks.add(section(headline));
        if (t != null) {
            blocks.add(section(ticketText(t, phase, who)));
            ObjectNode context = blocks.addObject().put("type", "context");
            context.putArray("elements").addObject().put("type", "mrkdwn").put("text", messages.format("assignment.context", values(t, phase, who)));
            if (t.state().open()) {
                ObjectNode actions = blocks.addObject().put("type", "actions").put("block_id", "ticket-" + t.id());
                ArrayNode elements = actions.putArray("elements");
                for (String action : List.of("claim", "release", "done")) {
                    ObjectNode b = elements.addObject().put("type", "button").put("action_id", action).put("value", String.valueOf(t.id()));
                    b.putObject("text").put("type", "plain_text").put("text", messages.format("button." + action, Map.of()));
                    if (action.equals("claim")) {
                        b.put("style", "primary");
                    }
                }
            }
        }
        return blocks.toString();
    }

    private static ObjectNode section(String mrkdwn) {
        ObjectNode s = JSON.createObjectNode().put("type", "section");
        s.putObject("text").put("type", "mrkdwn").put("text", mrkdwn.length() > 2900 ? mrkdwn.substring(0, 2900) + "…" : mrkdwn);
        return s;
    }
}
