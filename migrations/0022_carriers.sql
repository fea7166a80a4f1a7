-- Carriers (issue 20): a tenant's carrier accounts, the jobs they carry for tasks, and every
-- status a carrier reported for a job (its history, and how a repeated callback is known).
-- Credentials are sealed by the application (src/logistics/secrets_box.py) with the key named
-- by credentials_key_id, bound to the tenant and the account.
CREATE TABLE carrier_accounts (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    display_name       text NOT NULL,
    adapter            text NOT NULL CHECK (adapter IN ('on_demand')),
    base_url           text NOT NULL,
    mode               text NOT NULL CHECK (mode IN ('test', 'live')),
    credentials        text NOT NULL,
    credentials_key_id text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('on_demand', 'parcel')),
    vehicle_types      text[] NOT NULL DEFAULT '{}',
    max_weight_kg      double precision NOT NULL DEFAULT 0,
    max_length_cm      double precision NOT NULL DEFAULT 0,
    zones              text[] NOT NULL DEFAULT '{}',
    priority           integer NOT NULL DEFAULT 0,
    disabled           boolean NOT NULL DEFAULT false,
    create_time        timestamptz NOT NULL DEFAULT now(),
    update_time        timestamptz NOT NULL DEFAULT now(),
    delete_time        timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX carrier_accounts_by_create ON carrier_accounts (tenant_id, create_time, id);

CREATE TABLE carrier_jobs (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    task_id         uuid NOT NULL,
    account_id      uuid NOT NULL,
    carrier_ref     text NOT NULL,
    status          text NOT NULL,
    carrier_status  text NOT NULL,
    quote_id        text NOT NULL,
    currency        text NOT NULL,
    quoted_amount   bigint NOT NULL,
    final_amount    bigint,
    fee_amount      bigint NOT NULL DEFAULT 0,
    tracking_url    text,
    courier         jsonb,
    failure_reason  text,
    status_time     timestamptz NOT NULL,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    version         bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, account_id, carrier_ref),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES carrier_accounts (tenant_id, id)
);
CREATE INDEX carrier_jobs_by_task ON carrier_jobs (tenant_id, task_id, create_time, id);
-- A task has at most one job under way.
CREATE UNIQUE INDEX carrier_jobs_one_open ON carrier_jobs (tenant_id, task_id)
    WHERE status NOT IN ('delivered', 'failed', 'cancelled');

CREATE TABLE carrier_job_events (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    job_id         uuid NOT NULL,
    seq            bigserial,
    event_id       text NOT NULL,
    status         text NOT NULL,
    carrier_status text NOT NULL,
    occurred_time  timestamptz NOT NULL,
    receive_time   timestamptz NOT NULL DEFAULT now(),
    applied        boolean NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, job_id, seq),
    FOREIGN KEY (tenant_id, job_id) REFERENCES carrier_jobs (tenant_id, id)
);
-- A repeated callback (same carrier event id) is recorded once.
CREATE UNIQUE INDEX carrier_job_events_once ON carrier_job_events (tenant_id, job_id, event_id)
    WHERE event_id <> '';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['carrier_accounts', 'carrier_jobs', 'carrier_job_events']
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
