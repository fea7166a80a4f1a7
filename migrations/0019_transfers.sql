-- Inventory transfers and shuttles (issue 19): a transfer between two warehouses
-- (tenants/{tenant}/transfers/{id}, domain/transfers.py) and the task carrying it, a TRANSFER
-- task of its own or the SHUTTLE task of one run of a recurring route (a route template on
-- one day), shared by the transfers batched onto that run.
CREATE TABLE shuttle_runs (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    -- Not a foreign key: a template deleted later leaves its runs' tasks as they are.
    template_id uuid NOT NULL,
    run_date    date NOT NULL,
    task_id     uuid NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    -- One SHUTTLE task per run, however many transfers join it at once.
    PRIMARY KEY (tenant_id, template_id, run_date),
    UNIQUE (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);

CREATE TABLE transfers (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    state              text NOT NULL CHECK (state IN ('requested', 'scheduled', 'picked_up',
                           'delivered', 'short', 'cancelled', 'returning', 'returned')),
    source_outlet_id   text NOT NULL,
    destination_outlet_id text NOT NULL CHECK (destination_outlet_id <> source_outlet_id),
    source_lat         double precision NOT NULL,
    source_lng         double precision NOT NULL,
    destination_lat    double precision NOT NULL,
    destination_lng    double precision NOT NULL,
    -- [{sku, description, quantity, weight_kg, volume_l, ...}], as a task's items.
    items              jsonb NOT NULL,
    ready_time         timestamptz NOT NULL,
    deadline           timestamptz NOT NULL CHECK (deadline > ready_time),
    reference          text,
    notes              text,
    task_id            uuid,
    pickup_step_id     text,
    drop_off_step_id   text,
    template_id        uuid,
    run_date           date,
    -- [{sku, quantity}] once dropped off.
    received           jsonb,
    missing            jsonb,
    return_task_id     uuid,
    -- The transfer's flow (kind 'transfer'): the journal of its steps.
    flow_id            uuid,
    reason             text,
    create_time        timestamptz NOT NULL DEFAULT now(),
    update_time        timestamptz NOT NULL DEFAULT now(),
    version            bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, return_task_id) REFERENCES tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);
CREATE INDEX transfers_by_create ON transfers (tenant_id, create_time, id);
CREATE INDEX transfers_by_task ON transfers (tenant_id, task_id) WHERE task_id IS NOT NULL;
CREATE INDEX transfers_by_return ON transfers (tenant_id, return_task_id)
    WHERE return_task_id IS NOT NULL;

ALTER TABLE shuttle_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE shuttle_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shuttle_runs
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON shuttle_runs TO logistics_app;

ALTER TABLE transfers ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transfers
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON transfers TO logistics_app;
