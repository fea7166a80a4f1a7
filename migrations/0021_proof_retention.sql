-- Proof of delivery kept safe (issue 19): each tenant's retention of proof files (photos and
-- signatures, tenants/{tenant}/proofRetentionPolicy; no row: the defaults of
-- domain/proof_retention.py), a legal hold per task that keeps its files past retention, and
-- the time each proof's file was purged (its row, capture hash included, is kept).

CREATE TABLE proof_retention_policies (
    tenant_id      uuid PRIMARY KEY REFERENCES tenants (id),
    photo_days     integer NOT NULL CHECK (photo_days BETWEEN 1 AND 3650),
    signature_days integer NOT NULL CHECK (signature_days BETWEEN 1 AND 3650),
    update_time    timestamptz NOT NULL DEFAULT now(),
    version        bigint NOT NULL DEFAULT 1
);

-- A task's legal hold (tenants/{tenant}/tasks/{task}/proofHold): while `held`, the sweep
-- leaves the task's files alone. No row: not held.
CREATE TABLE proof_holds (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    task_id     uuid NOT NULL,
    held        boolean NOT NULL,
    reason      text NOT NULL,
    update_time timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);

-- Set once, by the sweep, in the transaction that deleted the file; blob_key is kept so that a
-- purge that is retried after a crash deletes the same key again (a no-op).
ALTER TABLE proofs ADD COLUMN purge_time timestamptz;
CREATE INDEX proofs_to_purge ON proofs (tenant_id, create_time)
    WHERE blob_key IS NOT NULL AND purge_time IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['proof_retention_policies', 'proof_holds']
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

-- Files stored before this migration: each tenant holding any gets its sweep now.
INSERT INTO timers (tenant_id, kind, subject_id, due_time)
SELECT DISTINCT tenant_id, 'proof.retention_sweep', tenant_id, now()
FROM proofs WHERE blob_key IS NOT NULL
ON CONFLICT DO NOTHING;
