-- Webhook signing secrets are sealed at rest (AES-256-GCM, by the application: see
-- src/logistics/secrets_box.py). secrets_key_id names the key that sealed a row's secrets, whose
-- elements are then {"sealed", "expire_time"}; NULL means the row still holds them in plain text
-- ({"secret", "expire_time"}), as every row written before this migration does until
-- `logistics migrate` (or `logistics rotate-secrets`) seals it. The column also finds the rows a
-- key rotation has still to re-seal.
ALTER TABLE webhooks ADD COLUMN secrets_key_id text;
