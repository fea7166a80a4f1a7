-- Durable flows (issue 19, docs/flows.md): a saga over tasks. A flow's row holds its state
-- and the task it waits for; each step it took (and each compensation) is a row of
-- flow_steps, written in the same transaction as the step's effect (a task created or
-- cancelled, its trail entry, the outbox event), so a replay finds the step done and does
-- nothing twice.
CREATE TABLE flows (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    kind         text NOT NULL,
    state        text NOT NULL CHECK (state IN
                     ('running', 'completed', 'compensating', 'compensated', 'failed')),
    task_id      uuid NOT NULL,
    waiting_on   uuid,
    context      jsonb NOT NULL DEFAULT '{}',
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    version      bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
CREATE INDEX flows_by_time ON flows (tenant_id, create_time, id);
CREATE INDEX flows_by_task ON flows (tenant_id, task_id);
CREATE INDEX flows_waiting ON flows (tenant_id, waiting_on) WHERE waiting_on IS NOT NULL;

CREATE TABLE flow_steps (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    flow_id       uuid NOT NULL,
    seq           integer NOT NULL CHECK (seq > 0),
    name          text NOT NULL,
    compensation  boolean NOT NULL,
    -- Of a compensation: the seq of the step it undoes.
    compensates   integer,
    task_id       uuid,
    detail        text NOT NULL DEFAULT '',
    done_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, flow_id, seq),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);

-- The flow a task belongs to, and which attempt at its delivery it is (1: the first).
ALTER TABLE tasks ADD COLUMN flow_id uuid;
ALTER TABLE tasks ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt > 0);
CREATE INDEX tasks_by_flow ON tasks (tenant_id, flow_id) WHERE flow_id IS NOT NULL;
-- A trail entry of type 'flow_step' names its flow.
ALTER TABLE task_events ADD COLUMN flow text;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flows', 'flow_steps'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())',
            t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO logistics_app', t);
    END LOOP;
END $$;
