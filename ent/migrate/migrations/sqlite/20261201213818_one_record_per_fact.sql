-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_designations" table
CREATE TABLE `new_designations` (`id` text NOT NULL, `type` text NOT NULL, `park_code` text NULL, `level` text NOT NULL DEFAULT (''), `status` text NOT NULL, `valid_from` text NOT NULL, `valid_until` text NOT NULL, `granted_by_bureau` text NOT NULL, `granted_by_subject` text NOT NULL, `granted_by_org` text NOT NULL DEFAULT (''), `authorization_id` text NULL, `standing_authorization_id` text NULL, `award_id` text NULL, `document_number` text NOT NULL, `note` text NOT NULL DEFAULT (''), `seed_clause` text NOT NULL, `status_reason` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `enterprise_id` integer NULL, `talent_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `designations_enterprises_designations` FOREIGN KEY (`enterprise_id`) REFERENCES `enterprises` (`id`) ON DELETE SET NULL, CONSTRAINT `designations_talents_designations` FOREIGN KEY (`talent_id`) REFERENCES `talents` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "designations" to new temporary table "new_designations"
INSERT INTO `new_designations` (`id`, `type`, `park_code`, `level`, `status`, `valid_from`, `valid_until`, `granted_by_bureau`, `granted_by_subject`, `granted_by_org`, `authorization_id`, `award_id`, `document_number`, `note`, `seed_clause`, `status_reason`, `version`, `created_at`, `updated_at`, `enterprise_id`, `talent_id`) SELECT `id`, `type`, `park_code`, `level`, `status`, `valid_from`, `valid_until`, `granted_by_bureau`, `granted_by_subject`, `granted_by_org`, `authorization_id`, `award_id`, `document_number`, `note`, `seed_clause`, `status_reason`, `version`, `created_at`, `updated_at`, `enterprise_id`, `talent_id` FROM `designations`;
-- Drop "designations" table after copying rows
DROP TABLE `designations`;
-- Rename temporary table "new_designations" to "designations"
ALTER TABLE `new_designations` RENAME TO `designations`;
-- Create index "designations_award_id_key" to table: "designations"
CREATE UNIQUE INDEX `designations_award_id_key` ON `designations` (`award_id`);
-- Create index "designation_enterprise_id_type" to table: "designations"
CREATE INDEX `designation_enterprise_id_type` ON `designations` (`enterprise_id`, `type`);
-- Create index "designation_talent_id_type" to table: "designations"
CREATE INDEX `designation_talent_id_type` ON `designations` (`talent_id`, `type`);
-- Create index "designation_document_number_type" to table: "designations"
CREATE INDEX `designation_document_number_type` ON `designations` (`document_number`, `type`);
-- Create index "designation_authorization_id" to table: "designations"
CREATE INDEX `designation_authorization_id` ON `designations` (`authorization_id`);
-- Create index "designation_natural_key_enterprise" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_enterprise` ON `designations` (`type`, `document_number`, `enterprise_id`) WHERE enterprise_id IS NOT NULL;
-- Create index "designation_natural_key_park" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_park` ON `designations` (`type`, `document_number`, `park_code`) WHERE park_code IS NOT NULL;
-- Create index "designation_natural_key_talent" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_talent` ON `designations` (`type`, `document_number`, `talent_id`) WHERE (talent_id IS NOT NULL) AND (authorization_id IS NULL);
-- Recognitions that stand hold their authorization's place
UPDATE `designations` SET `standing_authorization_id` = `authorization_id` WHERE `authorization_id` IS NOT NULL AND `status` <> 'revoked';
-- Create index "designation_one_recognition_per_authorization" to table: "designations"
CREATE UNIQUE INDEX `designation_one_recognition_per_authorization` ON `designations` (`standing_authorization_id`, `talent_id`);
-- Create "new_talent_authorizations" table
CREATE TABLE `new_talent_authorizations` (`id` text NOT NULL, `enterprise_id` integer NOT NULL, `year` integer NOT NULL, `revoked` bool NOT NULL DEFAULT (false), PRIMARY KEY (`id`));
-- Copy rows from old table "talent_authorizations" to new temporary table "new_talent_authorizations"
INSERT INTO `new_talent_authorizations` (`id`, `enterprise_id`, `year`) SELECT `id`, `enterprise_id`, `year` FROM `talent_authorizations`;
-- Drop "talent_authorizations" table after copying rows
DROP TABLE `talent_authorizations`;
-- Rename temporary table "new_talent_authorizations" to "talent_authorizations"
ALTER TABLE `new_talent_authorizations` RENAME TO `talent_authorizations`;
-- Create index "talentauthorization_enterprise_id_year" to table: "talent_authorizations"
CREATE INDEX `talentauthorization_enterprise_id_year` ON `talent_authorizations` (`enterprise_id`, `year`);
-- Mark the authorizations whose designation is revoked
UPDATE `talent_authorizations` SET `revoked` = true WHERE `id` IN (SELECT `id` FROM `designations` WHERE `status` = 'revoked');
-- Create index "talent_authorization_one_per_year" to table: "talent_authorizations"
CREATE UNIQUE INDEX `talent_authorization_one_per_year` ON `talent_authorizations` (`enterprise_id`, `year`) WHERE NOT revoked;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
