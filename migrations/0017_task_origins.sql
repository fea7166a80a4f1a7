-- Returns and exchanges (issue 19): a task linked to the forward task it belongs to
-- (Task.origin_task, same tenant: the foreign key includes tenant_id) and why it exists
-- (Task.purpose, domain/returns.py). Items' condition and collect flag live in items' JSON.
ALTER TABLE tasks
    ADD COLUMN origin_task_id uuid,
    ADD COLUMN purpose text NOT NULL DEFAULT 'unspecified' CHECK (purpose IN (
        'unspecified', 'customer_return', 'exchange', 'expired_goods', 'waste_pickup',
        'failed_delivery', 'transfer')),
    ADD CONSTRAINT tasks_origin_task FOREIGN KEY (tenant_id, origin_task_id)
        REFERENCES tasks (tenant_id, id);
-- ListTasks(origin_task=...): a forward task's returns, exchanges and re-attempts.
CREATE INDEX tasks_by_origin ON tasks (tenant_id, origin_task_id, create_time, id)
    WHERE origin_task_id IS NOT NULL;
