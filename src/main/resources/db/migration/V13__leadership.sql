-- Replicas on PostgreSQL (docs/SCALING.md). The leader holds an advisory lock on a connection of its own;
-- these rows say who it is and fence the ones before it. On H2 (one process) they stay at epoch 0.

-- The fencing number: raised by each new leader, before it decides anything. A replica that led at an older
-- epoch cannot write (on PostgreSQL every write checks it, see db/postgresql/afterMigrate.sql).
CREATE TABLE leader_fence (
    id    INT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO leader_fence (id, epoch) VALUES (1, 0);

-- Who leads, since when, and its last heartbeat (the database's clock): a follower takes over from a leader
-- that stopped renewing (paused, cut off) after ASSEMBLY_LEADER_LEASE.
CREATE TABLE leader_lease (
    id          INT PRIMARY KEY,
    replica     VARCHAR(200),
    epoch       BIGINT NOT NULL,
    backend_pid INT,
    since       TIMESTAMP WITH TIME ZONE,
    renewed_at  TIMESTAMP WITH TIME ZONE
);
INSERT INTO leader_lease (id, epoch) VALUES (1, 0);

-- The epoch each event-log entry was written at: the fencing number goes with every decision.
ALTER TABLE event_log ADD COLUMN epoch BIGINT;
