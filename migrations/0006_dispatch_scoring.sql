-- What the dispatch score reads beyond the live index: each rider's rating and each tenant's
-- weights.
--
-- rating: 1.0 to 5.0, set by the upstream service or an operator; NULL until the rider has
-- one (the score then counts the neutral 3).
ALTER TABLE riders
    ADD COLUMN rating double precision CHECK (rating BETWEEN 1 AND 5);

-- The tenant's dispatch policy (tenants/{tenant}/dispatchPolicy): the weights of
-- domain/scoring.py. No row: the defaults.
CREATE TABLE dispatch_policies (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants (id),
    eta_weight    double precision NOT NULL CHECK (eta_weight > 0 AND eta_weight <= 100),
    load_weight   double precision NOT NULL CHECK (load_weight BETWEEN 0 AND 100),
    idle_weight   double precision NOT NULL CHECK (idle_weight BETWEEN 0 AND 100),
    rating_weight double precision NOT NULL CHECK (rating_weight BETWEEN 0 AND 100),
    update_time   timestamptz NOT NULL DEFAULT now(),
    version       bigint NOT NULL DEFAULT 1
);
ALTER TABLE dispatch_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE dispatch_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dispatch_policies
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON dispatch_policies TO logistics_app;
