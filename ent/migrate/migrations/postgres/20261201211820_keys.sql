-- Modify "signing_keys" table
ALTER TABLE "signing_keys" ADD COLUMN "withdrawn_at" timestamptz NULL;
-- Create "key_checks" table
CREATE TABLE "key_checks" ("id" character varying NOT NULL, "check_value" character varying NOT NULL, "fingerprint" character varying NOT NULL, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
