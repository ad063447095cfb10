-- The oldest pending message of one channel, read after every message sent to it (OutboxWorker):
-- a lookup in this index instead of a pass over every pending message.
CREATE INDEX outbox_channel_pending ON outbox (state, channel, id);
