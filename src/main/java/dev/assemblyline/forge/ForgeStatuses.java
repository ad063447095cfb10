package dev.assemblyline.forge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.OutboxStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit statuses one reconcile reports (docs/ci.md): for each service whose phase or tree changed,
 * {@code assembly/<service>} on the head commit with a state, the first reason and a link to the
 * service's dashboard page. Stored in the outbox with the change itself, like Slack's announcements, and
 * sent by {@link StatusWorker}. A change of more than {@link #MAX_PER_CHANGE} services reports the first
 * ones only: forges limit statuses per hour.
 */
public final class ForgeStatuses {
    private static final Logger LOG = LoggerFactory.getLogger(ForgeStatuses.class);
    static final ObjectMapper JSON = new ObjectMapper();
    public static final int MAX_PER_CHANGE = 200;

    private final List<Forge> forges;
    private final String dashboard;

    /** @param dashboard the service page's URL with {@code {service}} in it */
    public ForgeStatuses(List<Forge> forges, String dashboard) {
        this.forges = List.copyOf(forges);
        this.dashboard = dashboard;
    }

    /** The state a phase shows as: success once tested, failure when something needs fixing, pending on the way. */
    static String state(Phase p) {
        return switch (p) {
            case READY_FOR_DEPLOY, PRODUCTION -> "success";
            case TESTS_FAILING, UNHEALTHY, SPEC_INCOMPLETE -> "failure";
            default -> "pending";
        };
    }

    /**
     * The start of the dedup key of every status of one service on one commit for one forge: a status's key is
     * this, its phase and when the phase began (so a phase repeated on the same commit is reported again).
     */
    static String place(String forgeKind, String head, String service) {
        return "status/" + forgeKind + "/" + head + "/" + service + "/";
    }

    /** {@link #place} of a status's dedup key. */
    public static String placeOf(String dedupKey) {
        return dedupKey.substring(0, dedupKey.lastIndexOf('/', dedupKey.lastIndexOf('/') - 1) + 1);
    }

    public List<OutboxStore.Draft> drafts(List<ServiceState> upserts, Map<String, ServiceState> before, String head) {
        if (forges.isEmpty() || head == null) {
            return List.of();
        }
        List<OutboxStore.Draft> out = new ArrayList<>();
        int reported = 0;
        int left = 0;
        for (ServiceState s : upserts) {
            ServiceState was = before.get(s.service());
            if (was != null && was.phase() == s.phase() && java.util.Objects.equals(was.tree(), s.tree())) {
                continue; // only the reasons changed
            }
            if (reported == MAX_PER_CHANGE) {
                left++;
                continue;
            }
            reported++;
            String why = s.reasons().isEmpty() ? "" : ": " + s.reasons().get(0);
            String description = s.phase().name() + why;
            Map<String, String> body = new LinkedHashMap<>();
            body.put("sha", head);
            body.put("state", state(s.phase()));
            body.put("context", dev.assemblyline.model.CiVerdict.OWN_CONTEXT + s.service());
            body.put("description", description.length() > 140 ? description.substring(0, 139) + "…" : description);
            body.put("target_url", dashboard.replace("{service}", s.service()));
            String json;
            try {
                json = JSON.writeValueAsString(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            for (Forge f : forges) {
                out.add(new OutboxStore.Draft(f.channel(), "status", place(f.kind(), head, s.service()) + s.phase() + "/" + s.since().toEpochMilli(),
                        null, s.service(), null, body.get("description"), json));
            }
        }
        if (left > 0) {
            LOG.info("{} more services changed at {}: their commit statuses are not reported (at most {} per change)", left, head, MAX_PER_CHANGE);
        }
        return out;
    }
}
