-- Calibrated ETAs (issue 18): what riders really took. A 'travel' row per leg (from where and
-- when the leg started, the task's start or the previous step's completion, to the arrival at
-- the step), a 'service' row per stop (arrival to the step's completion). Written in the
-- transaction of the rider's action, so a replayed action records nothing twice (the key).
--
-- cell, parent: the H3 cells (geo/eta_cells.py) of the leg's origin or the stop.
-- predicted_s: the distance provider's travel time for the leg, filled in by the model's
-- refresh (off the rider's call, so an OSRM outage never slows an arrival); NULL until then.
CREATE TABLE eta_observations (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    task_id      uuid NOT NULL,
    step_id      text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('travel', 'service')),
    step_kind    text NOT NULL,
    vehicle      text,
    cell         text NOT NULL,
    parent       text NOT NULL,
    start_time   timestamptz NOT NULL,
    seconds      double precision NOT NULL CHECK (seconds >= 0),
    origin_lat   double precision,
    origin_lng   double precision,
    dest_lat     double precision,
    dest_lng     double precision,
    predicted_s  double precision,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id, step_id, kind),
    CHECK (kind = 'service' OR (origin_lat IS NOT NULL AND dest_lat IS NOT NULL))
);
-- The refresh reads a tenant's recent window and the legs still without a prediction.
CREATE INDEX eta_observations_recent ON eta_observations (tenant_id, kind, start_time DESC);
CREATE INDEX eta_observations_unpredicted ON eta_observations (tenant_id, start_time)
    WHERE kind = 'travel' AND predicted_s IS NULL;

ALTER TABLE eta_observations ENABLE ROW LEVEL SECURITY;
ALTER TABLE eta_observations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON eta_observations
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON eta_observations TO logistics_app;
