package dev.assemblyline.web;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** How services, log entries, sessions and tickets look in JSON: the same fields wherever they are shown. */
public final class Views {
    private Views() {
    }

    public static Map<String, Object> of(ServiceState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", s.service());
        m.put("phase", s.phase().name());
        m.put("reasons", s.reasons());
        m.put("tree", s.tree());
        m.put("since", s.since().toString());
        return m;
    }

    static Map<String, Object> of(LogEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("at", e.at().toString());
        m.put("service", e.service());
        m.put("kind", e.kind());
        m.put("message", e.message());
        return m;
    }


    static Map<String, Object> of(Session s, Map<String, Integer> wip) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session_id", s.id());
        m.put("name", s.name());
        m.put("capabilities", s.capabilities());
        m.put("status", s.status());
        m.put("current_work", s.currentWork());
        m.put("slack_user", s.slackUser());
        m.put("wip_limit", s.wipLimit());
        m.put("wip", wip.getOrDefault(s.id(), 0));
        m.put("origin", s.origin());
        m.put("last_heartbeat", str(s.lastHeartbeat()));
        return m;
    }

    public static Map<String, Object> of(Ticket t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("service", t.service());
        m.put("kind", t.kind().label());
        m.put("state", t.state().label());
        m.put("assignee", t.assignee());
        m.put("deadline", str(t.deadline()));
        m.put("tree", t.tree());
        m.put("waiting", t.waiting());
        m.put("offer_expires", str(t.offerExpires()));
        m.put("lease_expires", str(t.leaseExpires()));
        m.put("note", t.note());
        m.put("percent", t.percent());
        m.put("created_at", str(t.createdAt()));
        m.put("closed_at", str(t.closedAt()));
        m.put("close_reason", t.closeReason());
        return m;
    }

    static Map<String, Object> of(dev.assemblyline.pipeline.Dashboard.Card c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", c.service());
        m.put("phase", c.phase().name());
        m.put("column", c.column().name());
        m.put("holder", c.holder());
        m.put("holding", c.holding());
        m.put("ticket", c.ticket());
        m.put("ticket_kind", c.ticketKind());
        m.put("since", str(c.since()));
        m.put("percent", c.percent());
        m.put("tests", c.tests());
        m.put("tests_running", c.testsRunning());
        m.put("uptime", c.uptime());
        m.put("stuck", c.stuck());
        m.put("why", c.why());
        return m;
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }
}
