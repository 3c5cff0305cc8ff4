-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create index "designation_natural_key_enterprise" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_enterprise` ON `designations` (`type`, `document_number`, `enterprise_id`) WHERE enterprise_id IS NOT NULL;
-- Create index "designation_natural_key_park" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_park` ON `designations` (`type`, `document_number`, `park_code`) WHERE park_code IS NOT NULL;
-- Create index "designation_natural_key_talent" to table: "designations"
CREATE UNIQUE INDEX `designation_natural_key_talent` ON `designations` (`type`, `document_number`, `talent_id`) WHERE talent_id IS NOT NULL AND authorization_id IS NULL;
-- Create index "designation_one_recognition_per_authorization" to table: "designations"
CREATE UNIQUE INDEX `designation_one_recognition_per_authorization` ON `designations` (`authorization_id`, `talent_id`) WHERE authorization_id IS NOT NULL AND status <> 'revoked';
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
