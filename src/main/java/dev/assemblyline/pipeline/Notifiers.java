package dev.assemblyline.pipeline;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.OutboxStore;
import java.util.List;

/** Several notifiers as one: the console always, Slack when configured. */
public final class Notifiers implements Notifier {
    private final List<Notifier> all;

    private Notifiers(List<Notifier> all) {
        this.all = List.copyOf(all);
    }

    public static Notifier of(List<Notifier> all) {
        return all.size() == 1 ? all.get(0) : new Notifiers(all);
    }

    @Override
    public void tell(String session, String service, String text) {
        all.forEach(n -> n.tell(session, service, text));
    }

    @Override
    public List<OutboxStore.Draft> announcement(String service, Phase from, Phase to, String tree, List<String> reasons) {
        return all.stream().flatMap(n -> n.announcement(service, from, to, tree, reasons).stream()).toList();
    }

    @Override
    public List<OutboxStore.Draft> digest(List<Change> changes) {
        return all.stream().flatMap(n -> n.digest(changes).stream()).toList();
    }

    @Override
    public void advanced(String service, Phase from, Phase to, String tree, List<String> reasons) {
        all.forEach(n -> n.advanced(service, from, to, tree, reasons));
    }

    @Override
    public boolean listensToTickets() {
        return all.stream().anyMatch(Notifier::listensToTickets);
    }

    @Override
    public void progressed(Ticket ticket, String line) {
        all.forEach(n -> n.progressed(ticket, line));
    }

    @Override
    public void ticketChanged(Ticket ticket, Phase phase, String line) {
        all.forEach(n -> n.ticketChanged(ticket, phase, line));
    }
}
