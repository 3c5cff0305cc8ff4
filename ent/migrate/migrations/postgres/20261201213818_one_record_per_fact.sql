-- Modify "designations" table
ALTER TABLE "designations" ADD COLUMN "standing_authorization_id" character varying NULL;
-- Create index "designation_natural_key_enterprise" to table: "designations"
CREATE UNIQUE INDEX "designation_natural_key_enterprise" ON "designations" ("type", "document_number", "enterprise_id") WHERE (enterprise_id IS NOT NULL);
-- Create index "designation_natural_key_park" to table: "designations"
CREATE UNIQUE INDEX "designation_natural_key_park" ON "designations" ("type", "document_number", "park_code") WHERE (park_code IS NOT NULL);
-- Create index "designation_natural_key_talent" to table: "designations"
CREATE UNIQUE INDEX "designation_natural_key_talent" ON "designations" ("type", "document_number", "talent_id") WHERE ((talent_id IS NOT NULL) AND (authorization_id IS NULL));
-- Recognitions that stand hold their authorization's place
UPDATE "designations" SET "standing_authorization_id" = "authorization_id" WHERE "authorization_id" IS NOT NULL AND "status" <> 'revoked';
-- Create index "designation_one_recognition_per_authorization" to table: "designations"
CREATE UNIQUE INDEX "designation_one_recognition_per_authorization" ON "designations" ("standing_authorization_id", "talent_id");
-- Modify "talent_authorizations" table
ALTER TABLE "talent_authorizations" ADD COLUMN "revoked" boolean NOT NULL DEFAULT false;
-- Mark the authorizations whose designation is revoked
UPDATE "talent_authorizations" SET "revoked" = true WHERE "id" IN (SELECT "id" FROM "designations" WHERE "status" = 'revoked');
-- Create index "talent_authorization_one_per_year" to table: "talent_authorizations"
CREATE UNIQUE INDEX "talent_authorization_one_per_year" ON "talent_authorizations" ("enterprise_id", "year") WHERE (NOT revoked);
