-- Outlets readable through the API: address, pickup instructions, weekly opening hours in a
-- time zone, an update time and a version (the etag). `page_key` orders the keyset pages
-- (outlet ids are the platform's text ids, pages are keyed on create time and a uuid).
ALTER TABLE outlets
    ADD COLUMN address             text NOT NULL DEFAULT '',
    ADD COLUMN pickup_instructions text NOT NULL DEFAULT '',
    ADD COLUMN time_zone           text NOT NULL DEFAULT '',
    -- [[weekday, open_minute, close_minute], ...]
    ADD COLUMN opening_hours       jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN update_time         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN version             bigint NOT NULL DEFAULT 1,
    ADD COLUMN page_key            uuid NOT NULL DEFAULT gen_random_uuid();

CREATE INDEX outlets_by_create ON outlets (tenant_id, create_time, page_key);
