-- Route optimisation: stored plans, their routes and timed stops, and recurring route
-- templates (a named set of stops and vehicles planned on given weekdays).

CREATE TABLE route_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    -- The plan request (stops, vehicles, objective, limit) with times on reference_date.
    request     jsonb NOT NULL,
    reference_date date NOT NULL,
    weekdays    integer[] NOT NULL CHECK (weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]),
    run_at      time NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE route_plans (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    objective   text NOT NULL,
    engine      text NOT NULL,
    cost        double precision NOT NULL,
    applied     boolean NOT NULL DEFAULT false,
    -- [{"stop_id": ..., "reason": ...}]: the stops the plan leaves out.
    unassigned  jsonb NOT NULL DEFAULT '[]',
    template_id uuid,
    run_date    date,
    create_time timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES route_templates (tenant_id, id),
    -- A template makes one plan per day it runs, however many workers fire it.
    UNIQUE (tenant_id, template_id, run_date)
);
CREATE INDEX route_plans_by_create ON route_plans (tenant_id, create_time, id);

CREATE TABLE routes (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    plan_id       uuid NOT NULL,
    vehicle_id    text NOT NULL,
    rider_id      uuid,
    distance_m    double precision NOT NULL,
    start_time    timestamptz NOT NULL,
    end_time      timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'completed')),
    complete_time timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_id) REFERENCES route_plans (tenant_id, id),
    FOREIGN KEY (tenant_id, rider_id) REFERENCES riders (tenant_id, id)
);
CREATE INDEX routes_by_plan ON routes (tenant_id, plan_id);
CREATE INDEX routes_open_by_rider ON routes (tenant_id, rider_id) WHERE state = 'planned';

CREATE TABLE route_stops (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    route_id       uuid NOT NULL,
    seq            integer NOT NULL,
    stop_id        text NOT NULL,
    task_id        uuid,
    step_id        text,
    latitude       double precision NOT NULL,
    longitude      double precision NOT NULL,
    arrival_time   timestamptz NOT NULL,
    departure_time timestamptz NOT NULL,
    -- {"weight_kg": ..., "volume_l": ..., "item_count": ...} on board after the stop.
    load_after     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, route_id, seq),
    FOREIGN KEY (tenant_id, route_id) REFERENCES routes (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
CREATE INDEX route_stops_by_task ON route_stops (tenant_id, task_id) WHERE task_id IS NOT NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['route_templates', 'route_plans', 'routes', 'route_stops']
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
