-- Fleet records: vehicle capacity profiles, compliance documents, shifts, the tenant's
-- document policy, and timers (due work fired once by whichever worker claims it first).

ALTER TABLE vehicles DROP COLUMN rider_id;
ALTER TABLE vehicles
    ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'out_of_service')),
    ADD COLUMN temperature_controlled boolean NOT NULL DEFAULT false,
    ADD COLUMN delete_time timestamptz,
    ADD CONSTRAINT vehicles_type_known CHECK
        (type IN ('bicycle', 'motorbike', 'car', 'van', 'truck', 'on_foot'));
DROP INDEX vehicles_plate;
CREATE UNIQUE INDEX vehicles_plate ON vehicles (tenant_id, plate)
    WHERE plate IS NOT NULL AND delete_time IS NULL;
CREATE INDEX vehicles_by_create ON vehicles (tenant_id, create_time, id);

ALTER TABLE riders ADD COLUMN vehicle_id uuid;
ALTER TABLE riders ADD CONSTRAINT riders_vehicle_fk
    FOREIGN KEY (tenant_id, vehicle_id) REFERENCES vehicles (tenant_id, id);
-- One vehicle, one rider.
CREATE UNIQUE INDEX riders_vehicle ON riders (tenant_id, vehicle_id)
    WHERE vehicle_id IS NOT NULL AND delete_time IS NULL;

CREATE TABLE documents (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    rider_id      uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN
                      ('licence', 'insurance', 'national_id', 'background_check',
                       'vehicle_inspection')),
    number        text,
    issue_time    timestamptz,
    expire_time   timestamptz,
    verification  text NOT NULL DEFAULT 'pending'
                      CHECK (verification IN ('pending', 'verified', 'rejected')),
    review_reason text,
    blob_key      text,
    file_sha256   text,
    content_type  text,
    file_size     bigint NOT NULL DEFAULT 0,
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now(),
    delete_time   timestamptz,
    version       bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rider_id) REFERENCES riders (tenant_id, id)
);
CREATE INDEX documents_by_rider ON documents (tenant_id, rider_id, create_time, id);

CREATE TABLE shifts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    rider_id    uuid NOT NULL,
    start_time  timestamptz NOT NULL,
    end_time    timestamptz NOT NULL,
    breaks      jsonb NOT NULL DEFAULT '[]',
    zone        text,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rider_id) REFERENCES riders (tenant_id, id),
    CHECK (end_time > start_time)
);
CREATE INDEX shifts_by_rider ON shifts (tenant_id, rider_id, start_time, id);

CREATE TABLE compliance_policies (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants (id),
    requirements jsonb NOT NULL DEFAULT '[]',
    update_time  timestamptz NOT NULL DEFAULT now(),
    version      bigint NOT NULL DEFAULT 1
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['documents', 'shifts', 'compliance_policies']
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

-- Due work across tenants (document expiry now; SLA timers later). Holds only ids and times,
-- no tenant content, so it has no row-level security: a worker claims due rows with
-- FOR UPDATE SKIP LOCKED, then acts inside a transaction scoped to the row's tenant, and marks
-- the row fired in that same transaction, so each timer fires once whatever the replicas.
CREATE TABLE timers (
    id          bigserial PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    kind        text NOT NULL,
    subject_id  uuid NOT NULL,
    due_time    timestamptz NOT NULL,
    fire_time   timestamptz,
    create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timers_due ON timers (due_time) WHERE fire_time IS NULL;
CREATE UNIQUE INDEX timers_pending ON timers (kind, subject_id) WHERE fire_time IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON timers TO logistics_app;
GRANT USAGE, SELECT ON SEQUENCE timers_id_seq TO logistics_app;
