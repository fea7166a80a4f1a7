-- Delay before breach (issue 18): each assigned task's latest predicted arrival at its next
-- step, the deadline it was checked against, and whether it was late for it, so task.delayed is
-- emitted once per crossing (again only after the prediction recovered). Calibration compares
-- these predictions with the actual arrivals. And what the SLA policy does on such a warning.
CREATE TABLE task_etas (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    task_id       uuid NOT NULL,
    deadline_kind text NOT NULL CHECK (deadline_kind IN ('pickup', 'delivery')),
    deadline      timestamptz NOT NULL,
    step_id       text NOT NULL,
    arrival_time  timestamptz NOT NULL,
    travel_s      double precision NOT NULL,
    source        text NOT NULL,
    estimate_time timestamptz NOT NULL,
    late          boolean NOT NULL,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE task_etas ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_etas FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON task_etas
    USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON task_etas TO logistics_app;

ALTER TABLE sla_policies ADD COLUMN delay_action text NOT NULL DEFAULT 'none'
    CHECK (delay_action IN ('none', 'manual_dispatch'));
