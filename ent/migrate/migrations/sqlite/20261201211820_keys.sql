-- Add column "withdrawn_at" to table: "signing_keys"
ALTER TABLE `signing_keys` ADD COLUMN `withdrawn_at` datetime NULL;
-- Create "key_checks" table
CREATE TABLE `key_checks` (`id` text NOT NULL, `check_value` text NOT NULL, `fingerprint` text NOT NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
