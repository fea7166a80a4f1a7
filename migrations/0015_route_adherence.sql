-- Route adherence: each tenant's corridor and time tolerance, and the path each route (or
-- task leg) is checked against, stored once so that every replica and the adherence score
-- use the same line.

ALTER TABLE telemetry_policies
    -- A rider farther than this from its planned path is off route (a straight-line path,
    -- used without road geometry, gets a corridor four times wider, at least 250 m).
    ADD COLUMN route_corridor_m real NOT NULL DEFAULT 50
        CHECK (route_corridor_m BETWEEN 5 AND 5000),
    -- ... for this long before `rider.off_route` is raised.
    ADD COLUMN off_route_tolerance_s real NOT NULL DEFAULT 60
        CHECK (off_route_tolerance_s BETWEEN 0 AND 3600);

CREATE TABLE route_paths (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    -- `route:<route id>` or `step:<task id>:<step id>` (the road to a task's next step).
    key         text NOT NULL,
    rider_id    uuid NOT NULL,
    route_id    uuid,
    -- 'osrm' (road geometry) or 'straight_line' (no OSRM, or it failed).
    source      text NOT NULL CHECK (source IN ('osrm', 'straight_line')),
    -- [[lat, lng], ...], at least two points.
    points      jsonb NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key),
    FOREIGN KEY (tenant_id, route_id) REFERENCES routes (tenant_id, id)
);
CREATE INDEX route_paths_by_route ON route_paths (tenant_id, route_id) WHERE route_id IS NOT NULL;

ALTER TABLE route_paths ENABLE ROW LEVEL SECURITY;
ALTER TABLE route_paths FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON route_paths USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON route_paths TO logistics_app;
