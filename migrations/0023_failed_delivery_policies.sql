-- The tenant's failed-delivery policy (issue 19; tenants/{tenant}/failedDeliveryPolicy,
-- domain/failed_delivery.py): per reason, its rule. No row: the defaults. (A migration of its
-- own: 0018, the flows' tables, was already applied where main ran.)
CREATE TABLE failed_delivery_policies (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants (id),
    rules        jsonb NOT NULL,
    update_time  timestamptz NOT NULL DEFAULT now(),
    version      bigint NOT NULL DEFAULT 1
);
ALTER TABLE failed_delivery_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE failed_delivery_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON failed_delivery_policies
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON failed_delivery_policies TO logistics_app;
