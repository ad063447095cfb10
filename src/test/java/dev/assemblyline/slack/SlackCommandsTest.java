package dev.assemblyline.slack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The text of /assembly commands, from plain data: no server, no Slack. */
class SlackCommandsTest {
    static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    static ServiceState state(String name, Phase p) {
        return new ServiceState(name, p, List.of("because"), "t", T0);
    }

    static Ticket ticket(long id, String service, Ticket.State state, String assignee, String waiting) {
        return new Ticket(id, service, Ticket.Kind.BUILD, "t", state, assignee, List.of(), waiting, null, null, T0, null, null, null, null,
                null, null, null);
    }

    @Test
    void statusCountsPhasesThenWhoHoldsWhatAndWhatWaitsWhy() {
        Map<String, ServiceState> all = new LinkedHashMap<>();
        all.put("a", state("a", Phase.READY_FOR_BUILD));
        all.put("b", state("b", Phase.READY_FOR_BUILD));
        all.put("c", state("c", Phase.PRODUCTION));
        String text = SlackCommands.statusText(all, List.of(ticket(1, "a", Ticket.State.CLAIMED, "builder-1", null),
                ticket(2, "b", Ticket.State.QUEUED, null, "no session can do builder work <now>"), ticket(3, "c", Ticket.State.QUEUED, null, null)));
        assertThat(text).isEqualTo("""
                *3 services*: READY_FOR_BUILD 2 · PRODUCTION 1
                *Held* (1):
                • builder-1: build #1 a (claimed)
                *Waiting* (2):
                • b: build #2 waits, no session can do builder work &lt;now&gt;
                • c: build #3 waits, not offered yet""");
    }

    @Test
    void statusShowsFifteenOfEachAtMostButCountsThemAll() {
        List<Ticket> many = IntStream.range(0, 40).mapToObj(i -> ticket(i, "s" + i, Ticket.State.QUEUED, null, null)).toList();
        String text = SlackCommands.statusText(Map.of(), many);
        assertThat(text).startsWith("*0 services*: \n").contains("*Waiting* (40):");
        assertThat(text.lines().filter(l -> l.startsWith("• "))).hasSize(15);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "hello | true  | READY_FOR_BUILD since 10:00 | *hello*: READY_FOR_BUILD since 10:00",
        "nope  | false |                             | No service *nope*.",
        "<b>   | false |                             | No service *&lt;b&gt;*.",
        "hello | true  | <!channel> tests #3         | *hello*: &lt;!channel&gt; tests #3"})
    void serviceStatusIsTheWhySentenceEscaped(String name, boolean known, String why, String expected) {
        assertThat(SlackCommands.serviceText(name, known ? state(name, Phase.READY_FOR_BUILD) : null, why)).isEqualTo(expected);
    }

    @Test
    void sessionsShowCapabilitiesStatusAndWip() {
        List<Session> all = List.of(new Session("b1", "Builder <One>", List.of("builder", "tester"), "active", null, null, 2, "file", null, null),
                new Session("d1", "Dev", List.of("devops"), "away", null, null, 1, "api", null, null));
        assertThat(SlackCommands.sessionsText(all, Map.of("b1", 1))).isEqualTo("""
                *2 sessions*
                • Builder &lt;One&gt; (b1): builder, tester, active, 1 of 2 WIP
                • Dev (d1): devops, away, 0 of 1 WIP""");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "builder tester | ",
        "BUILDER        | ",
        "devops         | `devops` cannot be taken with /assembly join here (architect, builder, tester can); ask an admin to add it to sessions.json.",
        "builder <x>    | `<x>` cannot be taken",
        "''             | Say what you can do: `/assembly join builder tester` (architect, builder, tester)."})
    void joinTakesOnlySelfServeCapabilities(String caps, String refusal) {
        List<String> words = caps.isBlank() ? List.of() : List.of(caps.split("\\s+"));
        String got = SlackCommands.joinRefusal(words, List.of("architect", "builder", "tester"));
        if (refusal == null) {
            assertThat(got).isNull();
        } else if (refusal.equals("`<x>` cannot be taken")) {
            assertThat(got).startsWith("`&lt;x&gt;` cannot be taken");
        } else {
            assertThat(got).isEqualTo(refusal);
        }
    }
}
