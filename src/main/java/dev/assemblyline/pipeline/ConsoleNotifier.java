package dev.assemblyline.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The default notifier: every message in the log, one line each. */
public final class ConsoleNotifier implements Notifier {
    private static final Logger LOG = LoggerFactory.getLogger("assembly.messages");

    @Override
    public void tell(String session, String service, String text) {
        LOG.info("{}{}: {}", session == null ? "" : "@" + session + " ", service == null ? "team" : service, text);
    }

    @Override
    public void advanced(String service, dev.assemblyline.model.Phase from, dev.assemblyline.model.Phase to, String tree,
                         java.util.List<String> reasons) {
        LOG.info("{}: {} → {}: {}", service, from == null ? "new" : from, to, String.join("; ", reasons));
    }

    @Override
    public boolean listensToTickets() {
        return true;
    }

    /** Every ticket change: offers, claims, releases, lapses, take-backs, done, superseded. */
    @Override
    public void ticketChanged(dev.assemblyline.model.Ticket t, dev.assemblyline.model.Phase phase, String line) {
        String text = line.replaceFirst("^:[a-z_]+: ", "");
        LOG.info("{}: {}", t.service(), text.contains("#" + t.id()) ? text : t.kind().label() + " ticket #" + t.id() + " " + text);
    }

    @Override
    public void progressed(dev.assemblyline.model.Ticket t, String line) {
        LOG.info("{}: {} ticket #{}: {}", t.service(), t.kind().label(), t.id(), line);
    }
}
