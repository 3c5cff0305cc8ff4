-- Create "idempotency_keys" table
CREATE TABLE `idempotency_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `principal` text NOT NULL, `key` text NOT NULL, `procedure` text NOT NULL, `request_hash` text NOT NULL, `state` text NOT NULL, `response` blob NULL, `status` blob NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- Create index "idempotencykey_principal_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX `idempotencykey_principal_key` ON `idempotency_keys` (`principal`, `key`);
-- Create index "idempotencykey_created_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_created_at` ON `idempotency_keys` (`created_at`);
