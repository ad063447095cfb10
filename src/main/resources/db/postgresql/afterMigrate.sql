-- Run after every migration on PostgreSQL only (docs/SCALING.md, "Fencing"): every table the coordinator writes,
-- whatever migration made it, checks the writer's fencing number. A connection of a replica that leads carries
-- its epoch in the setting assembly.epoch; a statement from it fails (SQLSTATE AL001) once another replica has
-- raised leader_fence.epoch. FOR KEY SHARE holds the row until the writer commits, and a new leader raises the
-- epoch under FOR UPDATE, so a write is either wholly before the takeover or refused. Checked once per transaction:
-- the lock taken by the first write holds the epoch still for the rest of it. Followers (no setting)
-- write as always: webhooks, claims and Slack requests are answered by every replica.
SELECT pg_advisory_xact_lock(4242000001);

CREATE OR REPLACE FUNCTION assembly_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mine TEXT := current_setting('assembly.epoch', true);
    now_leading BIGINT;
BEGIN
    IF mine IS NULL OR mine = '' OR current_setting('assembly.checked', true) = mine THEN
        RETURN NULL; -- not leading, or checked already in this transaction (the row stays locked until it ends)
    END IF;
    SELECT epoch INTO now_leading FROM leader_fence WHERE id = 1 FOR KEY SHARE;
    IF now_leading IS DISTINCT FROM mine::BIGINT THEN
        RAISE EXCEPTION 'fenced: this replica led at epoch % and epoch % leads now', mine, now_leading USING ERRCODE = 'AL001';
    END IF;
    PERFORM set_config('assembly.checked', mine, true);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN SELECT table_name FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name NOT IN ('leader_fence', 'leader_lease', 'health_probe')
               AND table_name NOT LIKE 'flyway%' LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER assembly_fence BEFORE INSERT OR UPDATE OR DELETE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION assembly_fence()', t);
    END LOOP;
END $$;
