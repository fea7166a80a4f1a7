-- Webhook fan-out's position in the outbox: which events have become webhook deliveries.
--
-- One row. Every outbox row with seq <= scanned_seq has been fanned out, except the seqs in
-- gaps: seqs that were not visible when the fan-out passed them (a transaction still in flight,
-- or one that rolled back). Each gap carries the transaction horizon (xid8, as a bigint) seen
-- when it was recorded; once every transaction older than that horizon has ended, a gap that is
-- still missing never will be filled and is dropped. Holds only sequence numbers, no tenant
-- content, so it has no row-level security.
CREATE TABLE webhook_fanout_cursor (
    id          integer PRIMARY KEY CHECK (id = 1),
    scanned_seq bigint NOT NULL DEFAULT 0,
    gaps        jsonb NOT NULL DEFAULT '[]',
    update_time timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_fanout_cursor (id) VALUES (1);
GRANT SELECT, UPDATE ON webhook_fanout_cursor TO logistics_app;
