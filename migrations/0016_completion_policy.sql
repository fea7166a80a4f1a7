-- Verified completion (issue 19): the tenant's completion policy
-- (tenants/{tenant}/completionPolicy, domain/presence.py). No row: the defaults. A step's
-- presence checks live in the steps' JSON.
CREATE TABLE completion_policies (
    tenant_id             uuid PRIMARY KEY REFERENCES tenants (id),
    enforcement           text NOT NULL CHECK (enforcement IN ('off', 'flag', 'refuse')),
    radius_m              double precision NOT NULL CHECK (radius_m BETWEEN 10 AND 5000),
    max_fix_age_s         double precision NOT NULL CHECK (max_fix_age_s BETWEEN 0 AND 600),
    max_accuracy_m        double precision NOT NULL CHECK (max_accuracy_m BETWEEN 1 AND 1000),
    flag_without_position boolean NOT NULL,
    update_time           timestamptz NOT NULL DEFAULT now(),
    version               bigint NOT NULL DEFAULT 1
);
ALTER TABLE completion_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE completion_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON completion_policies
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON completion_policies TO logistics_app;
