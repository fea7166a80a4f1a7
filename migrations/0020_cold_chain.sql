-- Cold chain (issue 19): temperature readings of a task's goods, the task's excursion state,
-- and the temperature on the trail entries that record an excursion and its recovery.

-- Every query names one task (record, list, the proof's log), so the readings are hash
-- partitioned by task: a task's readings sit in one partition, each partition's primary key
-- index stays a sixteenth of the whole, and there is no partition upkeep. The primary key is
-- the reading's identity (a resent reading is stored once) and the listing's order (a page
-- token holds a record time and a UUID: probe_key is the probe id's UUID v5).
CREATE TABLE temperature_readings (
    tenant_id    uuid NOT NULL,
    task_id      uuid NOT NULL,
    record_time  timestamptz NOT NULL,
    probe_key    uuid NOT NULL,
    probe_id     text NOT NULL CHECK (length(probe_id) BETWEEN 1 AND 64),
    celsius      double precision NOT NULL CHECK (celsius BETWEEN -100 AND 200),
    source       text NOT NULL CHECK (source IN ('stream', 'rpc')),
    -- The rider whose app sent it (stream), if any.
    rider_id     uuid,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id, record_time, probe_key),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
) PARTITION BY HASH (task_id);

DO $$
BEGIN
    FOR i IN 0..15 LOOP
        EXECUTE format(
            'CREATE TABLE temperature_readings_%s PARTITION OF temperature_readings '
            'FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
        -- Reached only through the parent, whose policy applies.
        EXECUTE format('REVOKE ALL ON temperature_readings_%s FROM logistics_app', i);
    END LOOP;
END
$$;

ALTER TABLE temperature_readings ENABLE ROW LEVEL SECURITY;
ALTER TABLE temperature_readings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON temperature_readings
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT ON temperature_readings TO logistics_app;

-- The excursion detector's state (domain/coldchain.py, as JSON: each probe's run, the episode,
-- the newest reading) and whether the task ever had an excursion. Not part of the task's
-- version: a reading never changes the etag a rider's next action carries.
ALTER TABLE tasks
    ADD COLUMN temperature_excursion boolean NOT NULL DEFAULT false,
    ADD COLUMN cold_chain jsonb;

-- The reading that started or ended an excursion, and the range it was judged against.
ALTER TABLE task_events ADD COLUMN temperature jsonb;
