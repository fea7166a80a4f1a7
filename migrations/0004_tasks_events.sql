-- Tasks and their audit trail, proofs of delivery, SLA policies; webhooks and deliveries;
-- the outbox relay's view.

CREATE TABLE tasks (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('delivery', 'pickup', 'transfer', 'return', 'shuttle')),
    state             text NOT NULL CHECK (state IN
                          ('created', 'assigned', 'en_route', 'arrived', 'completed', 'failed', 'cancelled')),
    order_id          text,
    outlet_id         text,
    priority          integer NOT NULL DEFAULT 0,
    items             jsonb NOT NULL DEFAULT '[]',
    -- The ordered steps with their own state, window, proof requirements and hashed codes.
    steps             jsonb NOT NULL,
    current_step      integer NOT NULL DEFAULT 0,
    rider_id          uuid,
    pickup_deadline   timestamptz,
    delivery_deadline timestamptz,
    sla_state         text NOT NULL DEFAULT 'on_track' CHECK (sla_state IN ('on_track', 'at_risk', 'breached')),
    manual_dispatch   boolean NOT NULL DEFAULT false,
    notes             text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    version           bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rider_id) REFERENCES riders (tenant_id, id)
);
CREATE INDEX tasks_by_create ON tasks (tenant_id, create_time, id);
CREATE INDEX tasks_by_state ON tasks (tenant_id, state, create_time, id);
CREATE INDEX tasks_by_rider ON tasks (tenant_id, rider_id, create_time, id) WHERE rider_id IS NOT NULL;
CREATE INDEX tasks_by_order ON tasks (tenant_id, order_id) WHERE order_id IS NOT NULL;

CREATE TABLE task_events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    task_id     uuid NOT NULL,
    seq         bigserial,
    type        text NOT NULL,
    from_state  text,
    to_state    text,
    actor       text NOT NULL,
    reason      text,
    latitude    double precision,
    longitude   double precision,
    step_id     text,
    event_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
CREATE INDEX task_events_by_task ON task_events (tenant_id, task_id, seq);

CREATE TABLE proofs (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    task_id        uuid NOT NULL,
    step_id        text NOT NULL,
    kind           text NOT NULL,
    text_value     text,
    temperatures_c double precision[],
    blob_key       text,
    file_sha256    text,
    content_type   text,
    file_size      bigint NOT NULL DEFAULT 0,
    latitude       double precision,
    longitude      double precision,
    capture_time   timestamptz,
    create_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
CREATE INDEX proofs_by_task ON proofs (tenant_id, task_id, create_time);

CREATE TABLE sla_policies (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants (id),
    at_risk_before_s integer NOT NULL DEFAULT 600 CHECK (at_risk_before_s >= 0),
    breach_action    text NOT NULL DEFAULT 'none' CHECK (breach_action IN ('none', 'manual_dispatch')),
    update_time      timestamptz NOT NULL DEFAULT now(),
    version          bigint NOT NULL DEFAULT 1
);

CREATE TABLE webhooks (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    url           text NOT NULL,
    event_types   text[] NOT NULL DEFAULT '{}',
    -- Current secret first; older ones with the time they stop being used, for rotation.
    secrets       jsonb NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    retry_window_s integer NOT NULL DEFAULT 86400,
    description   text,
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now(),
    delete_time   timestamptz,
    version       bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhooks_by_create ON webhooks (tenant_id, create_time, id);

CREATE TABLE webhook_deliveries (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    webhook_id        uuid NOT NULL,
    event_id          uuid NOT NULL,
    event_type        text NOT NULL,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_time timestamptz NOT NULL DEFAULT now(),
    give_up_time      timestamptz NOT NULL,
    last_error        text,
    last_status       integer,
    create_time       timestamptz NOT NULL DEFAULT now(),
    deliver_time      timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, webhook_id, event_id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, create_time DESC, id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tasks', 'task_events', 'proofs', 'sla_policies', 'webhooks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) '
            'WITH CHECK (tenant_id = current_tenant_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO logistics_app', t);
    END LOOP;
END
$$;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO logistics_app;

-- Background workers (the outbox relay, webhook deliveries) work across tenants. They say so
-- by setting app.worker = 'on' in their own transactions; no request path does. Only these
-- two tables allow it, and only for those transactions.
DROP POLICY tenant_isolation ON outbox;
CREATE POLICY tenant_isolation ON outbox
    USING (tenant_id = current_tenant_id() OR current_setting('app.worker', true) = 'on')
    WITH CHECK (tenant_id = current_tenant_id() OR current_setting('app.worker', true) = 'on');

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
    USING (tenant_id = current_tenant_id() OR current_setting('app.worker', true) = 'on')
    WITH CHECK (tenant_id = current_tenant_id() OR current_setting('app.worker', true) = 'on');
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO logistics_app;
