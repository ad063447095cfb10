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
}
