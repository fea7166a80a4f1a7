-- Telemetry: sampled rider tracks (time-partitioned), per-tenant sampling and retention,
-- geofences.

CREATE TABLE track_points (
    tenant_id    uuid NOT NULL,
    rider_id     uuid NOT NULL,
    record_time  timestamptz NOT NULL,
    sequence     bigint NOT NULL,
    latitude     double precision NOT NULL,
    longitude    double precision NOT NULL,
    accuracy_m   real NOT NULL DEFAULT 0,
    speed_mps    real NOT NULL DEFAULT 0,
    heading_deg  real NOT NULL DEFAULT 0,
    task         text,
    -- A replayed ping has the same record time and sequence: it is stored once.
    PRIMARY KEY (tenant_id, rider_id, record_time, sequence)
) PARTITION BY RANGE (record_time);

-- Pings with a record time outside every daily partition (clock trouble) land here rather
-- than failing the batch; retention clears it like any other partition.
CREATE TABLE track_points_default PARTITION OF track_points DEFAULT;
-- Partitions are reached only through the parent, whose policy applies; direct access to a
-- partition would skip it, so the service role has none.
REVOKE ALL ON track_points_default FROM logistics_app;

ALTER TABLE track_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE track_points FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON track_points
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, DELETE ON track_points TO logistics_app;

-- Daily partitions [day, day + 1) named track_points_YYYYMMDD; the worker keeps the next days
-- created and drops days past every tenant's retention. Safe to call concurrently. Points of
-- that day already in the default partition (it had no partition yet) are moved into it.
CREATE FUNCTION ensure_track_partition(day date) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    part text := format('track_points_%s', to_char(day, 'YYYYMMDD'));
BEGIN
    IF to_regclass(part) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext(part));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I (LIKE track_points INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                part);
            EXECUTE format(
                'WITH moved AS (DELETE FROM track_points_default '
                'WHERE record_time >= %L AND record_time < %L RETURNING *) '
                'INSERT INTO %I SELECT * FROM moved', day, day + 1, part);
            EXECUTE format(
                'ALTER TABLE track_points ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                part, day, day + 1);
            EXECUTE format('REVOKE ALL ON %I FROM logistics_app', part);
        END IF;
    END IF;
END
$$;

CREATE FUNCTION drop_track_partitions_before(day date) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'track_points'::regclass
          AND c.relname ~ '^track_points_[0-9]{8}$'
          AND to_date(substring(c.relname from 14), 'YYYYMMDD') < day
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END
$$;
REVOKE ALL ON FUNCTION ensure_track_partition(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION drop_track_partitions_before(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_track_partition(date) TO logistics_app;
GRANT EXECUTE ON FUNCTION drop_track_partitions_before(date) TO logistics_app;

SELECT ensure_track_partition(current_date + d) FROM generate_series(-1, 7) AS d;

CREATE TABLE telemetry_policies (
    tenant_id             uuid PRIMARY KEY REFERENCES tenants (id),
    -- At most one stored track point per rider per this many seconds (0: keep every ping).
    sample_interval_s     real NOT NULL DEFAULT 5 CHECK (sample_interval_s >= 0),
    retention_days        integer NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
    update_time           timestamptz NOT NULL DEFAULT now(),
    version               bigint NOT NULL DEFAULT 1
);

CREATE TABLE geofences (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    display_name      text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('zone', 'outlet', 'hub', 'no_go')),
    -- {"polygon": [[lat, lng], ...]} or {"circle": {"lat": .., "lng": .., "radius_m": ..}}
    shape             jsonb NOT NULL,
    dwell_threshold_s integer NOT NULL DEFAULT 0 CHECK (dwell_threshold_s >= 0),
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    delete_time       timestamptz,
    version           bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX geofences_by_create ON geofences (tenant_id, create_time, id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['telemetry_policies', 'geofences']
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
