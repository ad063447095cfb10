package dev.assemblyline.assign;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MatchingTest {
    static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    static Session s(String id, String caps, String status, int wipLimit, Instant lastAssigned) {
        return new Session(id, id, List.of(caps.split(",")), status, null, null, wipLimit, "file", null, lastAssigned);
    }

    static Matching.Candidate c(Session s, int wip, Duration median, boolean builtIt) {
        return new Matching.Candidate(s, wip, median, builtIt);
    }

    static Stream<Arguments> cases() {
        Session b1 = s("b1", "builder", "active", 1, null);
        Session b2 = s("b2", "builder", "active", 1, null);
        Session b3 = s("b3", "builder", "active", 2, null);
        Session away = s("away", "builder", "away", 1, null);
        Session tester = s("t1", "tester", "active", 1, null);
        Session recent = s("b-recent", "builder", "active", 1, T);
        Session old = s("b-old", "builder", "active", 1, T.minusSeconds(3600));
        return Stream.of(
                Arguments.of("only a session with the capability is chosen", Ticket.Kind.TESTS,
                        List.of(c(b1, 0, null, false), c(tester, 0, null, false)), List.of(), "t1", null),
                Arguments.of("no capable session means the ticket waits, saying so", Ticket.Kind.DEPLOY,
                        List.of(c(b1, 0, null, false)), List.of(), null, "no session can do devops work"),
                Arguments.of("away sessions are not offered work", Ticket.Kind.BUILD,
                        List.of(c(away, 0, null, false)), List.of(), null, "every builder is away (1)"),
                Arguments.of("a session at its WIP limit is skipped", Ticket.Kind.BUILD,
                        List.of(c(b1, 1, null, false), c(b2, 0, null, false)), List.of(), "b2", null),
                Arguments.of("everyone at the limit means the ticket waits, naming them", Ticket.Kind.BUILD,
                        List.of(c(b1, 1, null, false), c(b3, 2, null, false)), List.of(), null,
                        "every active builder is at its WIP limit (b1 1 of 1, b3 2 of 2)"),
                Arguments.of("the builder of a service gets its fix", Ticket.Kind.FIX,
                        List.of(c(b1, 0, Duration.ofMinutes(5), false), c(b2, 0, Duration.ofHours(5), true)), List.of(), "b2", null),
                Arguments.of("affinity does not apply to other kinds", Ticket.Kind.BUILD,
                        List.of(c(b1, 0, Duration.ofMinutes(5), false), c(b2, 0, Duration.ofHours(5), true)), List.of(), "b1", null),
                Arguments.of("the faster session for that kind wins", Ticket.Kind.BUILD,
                        List.of(c(b1, 0, Duration.ofHours(2), false), c(b2, 0, Duration.ofHours(1), false)), List.of(), "b2", null),
                Arguments.of("a new session counts as the team median, beating a slower one", Ticket.Kind.BUILD,
                        List.of(c(b1, 0, Duration.ofHours(3), false), c(b2, 0, Duration.ofHours(1), false), c(b3, 0, null, false),
                                c(s("b4", "builder", "active", 1, null), 1, Duration.ofHours(2), false)),
                        List.of("b2"), "b3", null),
                Arguments.of("with equal speed the least recently assigned wins", Ticket.Kind.BUILD,
                        List.of(c(recent, 0, null, false), c(old, 0, null, false)), List.of(), "b-old", null),
                Arguments.of("a never-assigned session comes before any assigned one", Ticket.Kind.BUILD,
                        List.of(c(old, 0, null, false), c(b2, 0, null, false)), List.of(), "b2", null),
                Arguments.of("a full tie is broken by session id", Ticket.Kind.BUILD,
                        List.of(c(b2, 0, null, false), c(b1, 0, null, false)), List.of(), "b1", null),
                Arguments.of("a skipped session is passed over when someone else can take it", Ticket.Kind.BUILD,
                        List.of(c(b1, 0, null, false), c(b2, 0, null, false)), List.of("b1"), "b2", null),
                Arguments.of("a skipped session still gets it when no one else can", Ticket.Kind.BUILD,
                        List.of(c(b1, 0, null, false), c(b2, 1, null, false)), List.of("b1"), "b1", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matching(String name, Ticket.Kind kind, List<Matching.Candidate> candidates, List<String> skip, String chosen, String waiting) {
        Matching.Result r = Matching.choose(kind, candidates, skip);
        assertThat(r.chosen() == null ? null : r.chosen().id()).isEqualTo(chosen);
        assertThat(r.waiting()).isEqualTo(waiting);
    }
}
