-- "Is a newer update of this message queued?" (OutboxWorker leaves the older one out): by parent, not a scan.
CREATE INDEX outbox_parent ON outbox (parent_id, id);
