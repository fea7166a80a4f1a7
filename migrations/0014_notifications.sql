-- Notifications (issue 18): per-tenant rules that turn task events into notification requests,
-- the requests themselves (one per task, trigger, recipient and channel: the de-duplication
-- key), the tasks whose riders are watched for the ETA and arrival triggers, and the adapter's
-- cursor over the outbox (like the webhook fan-out's, and like it without tenant content).
CREATE TABLE notification_rules (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    display_name       text NOT NULL DEFAULT '',
    trigger            text NOT NULL,
    recipient          text NOT NULL,
    channel            text NOT NULL,
    template_id        text NOT NULL,
    eta_threshold_s    integer CHECK (eta_threshold_s > 0),
    within_m           real CHECK (within_m > 0),
    -- Quiet hours, minutes after local midnight; both NULL: none.
    quiet_start_minute integer CHECK (quiet_start_minute BETWEEN 0 AND 1439),
    quiet_end_minute   integer CHECK (quiet_end_minute BETWEEN 0 AND 1439),
    quiet_mode         text NOT NULL DEFAULT 'defer' CHECK (quiet_mode IN ('defer', 'suppress')),
    time_zone          text NOT NULL DEFAULT '',
    create_time        timestamptz NOT NULL DEFAULT now(),
    update_time        timestamptz NOT NULL DEFAULT now(),
    delete_time        timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notification_rules_by_create ON notification_rules (tenant_id, create_time, id);
-- One live rule per (trigger, recipient, channel): the de-duplication key of its requests.
CREATE UNIQUE INDEX notification_rules_one_per_key
    ON notification_rules (tenant_id, trigger, recipient, channel) WHERE delete_time IS NULL;

CREATE TABLE notifications (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    task_id       uuid NOT NULL,
    rule_id       uuid NOT NULL,
    trigger       text NOT NULL,
    recipient     text NOT NULL,
    channel       text NOT NULL,
    -- Who the rate limit counts against: "customer:+2547...", "rider:<id>", ...
    recipient_key text NOT NULL,
    state         text NOT NULL
        CHECK (state IN ('requested', 'deferred', 'suppressed', 'rate_limited')),
    -- When a deferred request is released (the end of the quiet hours).
    due_time      timestamptz,
    -- The notification.requested event, once requested.
    event         jsonb NOT NULL,
    create_time   timestamptz NOT NULL DEFAULT now(),
    request_time  timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, task_id, trigger, recipient, channel)
);
CREATE INDEX notifications_by_recipient
    ON notifications (tenant_id, recipient_key, request_time) WHERE state = 'requested';
CREATE INDEX notifications_deferred ON notifications (due_time) WHERE state = 'deferred';

-- Started tasks of tenants with ETA or arrival rules: ``task`` is the task as its last event
-- left it. Removed when the task ends.
CREATE TABLE notification_watches (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    task_id     uuid NOT NULL,
    task        jsonb NOT NULL,
    update_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id)
);

CREATE TABLE notification_cursor (
    id          integer PRIMARY KEY CHECK (id = 1),
    scanned_seq bigint NOT NULL DEFAULT 0,
    gaps        jsonb NOT NULL DEFAULT '[]',
    update_time timestamptz NOT NULL DEFAULT now()
);
-- Starts at the outbox's end: events from before the rules existed notify nobody.
INSERT INTO notification_cursor (id, scanned_seq)
    VALUES (1, coalesce(pg_sequence_last_value('outbox_seq_seq'), 0));
GRANT SELECT, UPDATE ON notification_cursor TO logistics_app;

ALTER TABLE notification_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_rules
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_rules TO logistics_app;

-- The adapter finds due requests and watched tasks across tenants (app.worker = 'on'), like
-- the outbox relay; in a worker transaction its statements name the tenant themselves.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notifications', 'notification_watches']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_tenant_id() OR current_setting(''app.worker'', true) = ''on'') '
            'WITH CHECK (tenant_id = current_tenant_id() OR current_setting(''app.worker'', true) = ''on'')', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO logistics_app', t);
    END LOOP;
END
$$;
