-- Foundation: tenants, outlets, fleets, riders, vehicles, outbox, idempotency keys, audit log.
--
-- Every tenant-owned table carries tenant_id and a row-level-security policy bound to the
-- per-transaction setting app.tenant_id (set by the service with set_config(..., true)).
-- FORCE makes the policy apply to the table owner too; the service itself runs as the
-- NOBYPASSRLS role logistics_app, so a query without a tenant filter still sees one tenant.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'logistics_app') THEN
        BEGIN
            CREATE ROLE logistics_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created concurrently by a migration of another database
        END;
    END IF;
END
$$;

GRANT logistics_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO logistics_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO logistics_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO logistics_app;

CREATE FUNCTION current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- The platform-wide tenants, keyed by slug. Not tenant-owned: the service resolves a slug
-- to its id before it opens a tenant transaction.
CREATE TABLE tenants (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE,
    display_name text NOT NULL DEFAULT '',
    create_time  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON tenants TO logistics_app;

CREATE TABLE outlets (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    latitude     double precision,
    longitude    double precision,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE fleets (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    display_name text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('own', 'contracted', 'third_party')),
    outlet_ids   text[] NOT NULL DEFAULT '{}',
    labels       jsonb NOT NULL DEFAULT '{}',
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    delete_time  timestamptz,
    version      bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX fleets_by_create ON fleets (tenant_id, create_time, id);

CREATE TABLE riders (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    display_name   text NOT NULL,
    external_id    text,
    fleet_id       uuid,
    phone          text,
    email          text,
    home_outlet_id text,
    zone           text,
    vehicle_type   text CHECK (vehicle_type IN
                       ('bicycle', 'motorbike', 'car', 'van', 'truck', 'on_foot')),
    state          text NOT NULL CHECK (state IN ('active', 'suspended', 'offboarded')),
    labels         jsonb NOT NULL DEFAULT '{}',
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    delete_time    timestamptz,
    version        bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, fleet_id) REFERENCES fleets (tenant_id, id)
);
CREATE UNIQUE INDEX riders_external_id ON riders (tenant_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX riders_by_create ON riders (tenant_id, create_time, id);
CREATE INDEX riders_by_fleet ON riders (tenant_id, fleet_id);

CREATE TABLE vehicles (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    type               text NOT NULL,
    plate              text,
    electric           boolean NOT NULL DEFAULT false,
    capacity_weight_kg double precision,
    capacity_volume_l  double precision,
    capacity_items     integer,
    min_temperature_c  double precision,
    max_temperature_c  double precision,
    max_stops          integer,
    rider_id           uuid,
    create_time        timestamptz NOT NULL DEFAULT now(),
    update_time        timestamptz NOT NULL DEFAULT now(),
    version            bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rider_id) REFERENCES riders (tenant_id, id)
);
CREATE UNIQUE INDEX vehicles_plate ON vehicles (tenant_id, plate) WHERE plate IS NOT NULL;

-- Events written in the same transaction as the change they describe; a relay publishes
-- them to NATS JetStream with id as the de-duplication id.
CREATE TABLE outbox (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL UNIQUE,
    event_type   text NOT NULL,
    subject      text NOT NULL,
    data         jsonb NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    publish_time timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE publish_time IS NULL;

-- Creates keyed by the caller's request_id: a retry returns the first result.
CREATE TABLE idempotency_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    method       text NOT NULL,
    request_id   text NOT NULL,
    request_hash text NOT NULL,
    resource_id  uuid NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, method, request_id)
);

CREATE TABLE audit_log (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          bigserial PRIMARY KEY,
    actor       text NOT NULL,
    action      text NOT NULL,
    resource    text NOT NULL,
    before      jsonb,
    after       jsonb,
    create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_by_resource ON audit_log (tenant_id, resource, id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['outlets', 'fleets', 'riders', 'vehicles', 'outbox',
                             'idempotency_keys', 'audit_log']
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
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO logistics_app;
