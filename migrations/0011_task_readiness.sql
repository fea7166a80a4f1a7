-- Order readiness (issue 17): when the upstream expects the order to be ready, and when it said
-- it is (MarkTaskReady). A step's curbside flag and its pickup wait live in the steps' JSON.
ALTER TABLE tasks ADD COLUMN ready_time timestamptz;
ALTER TABLE tasks ADD COLUMN mark_ready_time timestamptz;
