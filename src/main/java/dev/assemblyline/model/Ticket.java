package dev.assemblyline.model;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** One piece of work on one service, and where it stands. */
public record Ticket(long id, String service, Kind kind, String tree, State state, String assignee, List<String> skip,
                     String waiting, String note, Integer percent, Instant createdAt, Instant offeredAt, Instant offerExpires,
                     Instant claimedAt, Instant leaseExpires, Instant deadline, Instant closedAt, String closeReason) {

    public Ticket {
        skip = List.copyOf(skip);
    }

    /** What a ticket asks for, and who can do it. */
    public enum Kind {
        SPEC("architect"), BUILD("builder"), TESTS("tester"), FIX("builder"), DEPLOY("devops"), RECOVER("devops");

        private final String capability;

        Kind(String capability) {
            this.capability = capability;
        }

        public String capability() {
            return capability;
        }

        public String label() {
            return name().toLowerCase();
        }

        public static Kind parse(String s) {
            return valueOf(s.toUpperCase());
        }

        /** The ticket a phase calls for, or null when the coordinator does the work itself (or nothing is to do). */
        public static Kind forPhase(Phase p) {
            return switch (p) {
                case NEEDS_SPEC, SPEC_INCOMPLETE -> SPEC;
                case READY_FOR_BUILD, BUILD_IN_PROGRESS -> BUILD;
                case NEEDS_TESTS -> TESTS;
                case TESTS_FAILING -> FIX;
                case READY_FOR_DEPLOY -> DEPLOY;
                case UNHEALTHY -> RECOVER;
                case TESTING, PRODUCTION, SKIPPED -> null;
            };
        }
    }

    /** queued → offered → claimed → done | released | expired; superseded when the service moved on. */
    public enum State {
        QUEUED, OFFERED, CLAIMED, DONE, RELEASED, EXPIRED, SUPERSEDED;

        public static final Set<State> OPEN = Set.of(QUEUED, OFFERED, CLAIMED);

        public boolean open() {
            return OPEN.contains(this);
        }

        public String label() {
            return name().toLowerCase();
        }

        public static State parse(String s) {
            return valueOf(s.toUpperCase());
        }
    }
}
