-- Offline-safe rider actions: each action's first outcome, keyed by the app's action id, so a
-- replay after reconnect is answered from here; and the device time of each trail entry.
CREATE TABLE rider_actions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    actor        text NOT NULL,
    action_id    uuid NOT NULL,
    method       text NOT NULL,
    request_hash text NOT NULL,
    outcome      jsonb NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, actor, action_id)
);
CREATE INDEX rider_actions_by_age ON rider_actions (create_time);

ALTER TABLE task_events ADD COLUMN occurred_time timestamptz;

ALTER TABLE rider_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rider_actions FORCE ROW LEVEL SECURITY;
-- The retention sweep is a worker's (app.worker = 'on'), across tenants.
CREATE POLICY tenant_isolation ON rider_actions
    USING (tenant_id = current_tenant_id() OR current_setting('app.worker', true) = 'on')
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON rider_actions TO logistics_app;
