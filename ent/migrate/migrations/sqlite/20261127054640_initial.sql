-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `token_hash` text NOT NULL, `subject` text NOT NULL, `organisation` text NOT NULL, `role` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NULL, `revoked_at` datetime NULL);
-- Create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `actor_subject` text NOT NULL, `actor_org` text NOT NULL, `actor_role` text NOT NULL, `action` text NOT NULL, `entity_type` text NOT NULL, `entity_id` text NOT NULL, `before` text NOT NULL DEFAULT (''), `after` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `prev_hash` text NOT NULL, `hash` text NOT NULL);
-- Create index "auditevent_entity_type_entity_id" to table: "audit_events"
CREATE INDEX `auditevent_entity_type_entity_id` ON `audit_events` (`entity_type`, `entity_id`);
-- Create index "auditevent_actor_subject" to table: "audit_events"
CREATE INDEX `auditevent_actor_subject` ON `audit_events` (`actor_subject`);
-- Create "audit_heads" table
CREATE TABLE `audit_heads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL DEFAULT (0), `hash` text NOT NULL DEFAULT (''));
-- Create "authorization_quota" table
CREATE TABLE `authorization_quota` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `authorization_id` text NOT NULL, `level` text NOT NULL, `places` integer NOT NULL, `used` integer NOT NULL DEFAULT (0));
-- Create index "authorizationquota_authorization_id_level" to table: "authorization_quota"
CREATE UNIQUE INDEX `authorizationquota_authorization_id_level` ON `authorization_quota` (`authorization_id`, `level`);
-- Create "awards" table
CREATE TABLE `awards` (`id` text NOT NULL, `prize` text NOT NULL, `team` text NOT NULL DEFAULT (''), `level` text NOT NULL, `created_at` datetime NOT NULL, `competition_id` text NOT NULL, `talent_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `awards_competitions_awards` FOREIGN KEY (`competition_id`) REFERENCES `competitions` (`id`) ON DELETE NO ACTION, CONSTRAINT `awards_talents_awards` FOREIGN KEY (`talent_id`) REFERENCES `talents` (`id`) ON DELETE NO ACTION);
-- Create index "award_competition_id_talent_id_prize" to table: "awards"
CREATE UNIQUE INDEX `award_competition_id_talent_id_prize` ON `awards` (`competition_id`, `talent_id`, `prize`);
-- Create "bureaus" table
CREATE TABLE `bureaus` (`id` text NOT NULL, `name_zh` text NOT NULL, `name_en` text NOT NULL, PRIMARY KEY (`id`));
-- Create "casbin_rules" table
CREATE TABLE `casbin_rules` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `ptype` text NOT NULL, `v0` text NOT NULL DEFAULT (''), `v1` text NOT NULL DEFAULT (''), `v2` text NOT NULL DEFAULT (''), `v3` text NOT NULL DEFAULT (''), `v4` text NOT NULL DEFAULT (''), `v5` text NOT NULL DEFAULT (''));
-- Create index "casbinrule_ptype_v0_v1_v2_v3_v4_v5" to table: "casbin_rules"
CREATE UNIQUE INDEX `casbinrule_ptype_v0_v1_v2_v3_v4_v5` ON `casbin_rules` (`ptype`, `v0`, `v1`, `v2`, `v3`, `v4`, `v5`);
-- Create "competitions" table
CREATE TABLE `competitions` (`id` text NOT NULL, `name` text NOT NULL, `organiser` text NOT NULL, `year` integer NOT NULL, `tier` text NOT NULL, `prize_levels` json NOT NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "competition_name_year" to table: "competitions"
CREATE UNIQUE INDEX `competition_name_year` ON `competitions` (`name`, `year`);
-- Create "designations" table
CREATE TABLE `designations` (`id` text NOT NULL, `type` text NOT NULL, `park_code` text NULL, `level` text NOT NULL DEFAULT (''), `status` text NOT NULL, `valid_from` text NOT NULL, `valid_until` text NOT NULL, `granted_by_bureau` text NOT NULL, `granted_by_subject` text NOT NULL, `granted_by_org` text NOT NULL DEFAULT (''), `authorization_id` text NULL, `award_id` text NULL, `document_number` text NOT NULL, `note` text NOT NULL DEFAULT (''), `seed_clause` text NOT NULL, `status_reason` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `enterprise_id` integer NULL, `talent_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `designations_enterprises_designations` FOREIGN KEY (`enterprise_id`) REFERENCES `enterprises` (`id`) ON DELETE SET NULL, CONSTRAINT `designations_talents_designations` FOREIGN KEY (`talent_id`) REFERENCES `talents` (`id`) ON DELETE SET NULL);
-- Create index "designations_award_id_key" to table: "designations"
CREATE UNIQUE INDEX `designations_award_id_key` ON `designations` (`award_id`);
-- Create index "designation_enterprise_id_type" to table: "designations"
CREATE INDEX `designation_enterprise_id_type` ON `designations` (`enterprise_id`, `type`);
-- Create index "designation_talent_id_type" to table: "designations"
CREATE INDEX `designation_talent_id_type` ON `designations` (`talent_id`, `type`);
-- Create index "designation_type_document_number" to table: "designations"
CREATE INDEX `designation_type_document_number` ON `designations` (`type`, `document_number`);
-- Create index "designation_authorization_id" to table: "designations"
CREATE INDEX `designation_authorization_id` ON `designations` (`authorization_id`);
-- Create "designation_types" table
CREATE TABLE `designation_types` (`id` text NOT NULL, `name_zh` text NOT NULL, `name_en` text NOT NULL, `subject_kind` text NOT NULL, `seed_clause` text NOT NULL, `has_levels` bool NOT NULL, `sort_order` integer NOT NULL, PRIMARY KEY (`id`));
-- Create "eligibility_rules" table
CREATE TABLE `eligibility_rules` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `park_id` text NOT NULL, `benefit` text NOT NULL, `any_of_designation_types` json NOT NULL, `min_tenancy_months` integer NOT NULL DEFAULT (0), `max_enterprise_age_years` integer NOT NULL DEFAULT (0), `version` integer NOT NULL DEFAULT (1), `updated_at` datetime NOT NULL);
-- Create index "eligibilityrule_park_id_benefit" to table: "eligibility_rules"
CREATE UNIQUE INDEX `eligibilityrule_park_id_benefit` ON `eligibility_rules` (`park_id`, `benefit`);
-- Create "enterprises" table
CREATE TABLE `enterprises` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `credit_code` text NOT NULL, `name` text NOT NULL, `district` text NOT NULL DEFAULT (''), `registered_on` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL);
-- Create index "enterprises_credit_code_key" to table: "enterprises"
CREATE UNIQUE INDEX `enterprises_credit_code_key` ON `enterprises` (`credit_code`);
-- Create index "enterprise_district" to table: "enterprises"
CREATE INDEX `enterprise_district` ON `enterprises` (`district`);
-- Create "parks" table
CREATE TABLE `parks` (`id` text NOT NULL, `name` text NOT NULL, `district` text NOT NULL DEFAULT (''), `operator_org` text NOT NULL DEFAULT (''), `designation_id` text NOT NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create "signing_keys" table
CREATE TABLE `signing_keys` (`id` text NOT NULL, `public_key` blob NOT NULL, `private_key_sealed` blob NOT NULL, `created_at` datetime NOT NULL, `retired_at` datetime NULL, PRIMARY KEY (`id`));
-- Create "status_changes" table
CREATE TABLE `status_changes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL, `effective_on` text NOT NULL, `reason` text NOT NULL DEFAULT (''), `recorded_at` datetime NOT NULL, `designation_id` text NOT NULL, CONSTRAINT `status_changes_designations_status_changes` FOREIGN KEY (`designation_id`) REFERENCES `designations` (`id`) ON DELETE NO ACTION);
-- Create index "statuschange_designation_id_effective_on" to table: "status_changes"
CREATE INDEX `statuschange_designation_id_effective_on` ON `status_changes` (`designation_id`, `effective_on`);
-- Create "talents" table
CREATE TABLE `talents` (`id` text NOT NULL, `name` text NOT NULL, `document_kind` text NOT NULL, `document_hash` text NOT NULL, `document_cipher` blob NOT NULL, `document_masked` text NOT NULL, `nationality` text NOT NULL, `created_at` datetime NOT NULL, `employer_id` integer NULL, PRIMARY KEY (`id`), CONSTRAINT `talents_enterprises_employees` FOREIGN KEY (`employer_id`) REFERENCES `enterprises` (`id`) ON DELETE SET NULL);
-- Create index "talents_document_hash_key" to table: "talents"
CREATE UNIQUE INDEX `talents_document_hash_key` ON `talents` (`document_hash`);
-- Create "talent_authorizations" table
CREATE TABLE `talent_authorizations` (`id` text NOT NULL, `enterprise_id` integer NOT NULL, `year` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "talentauthorization_enterprise_id_year" to table: "talent_authorizations"
CREATE INDEX `talentauthorization_enterprise_id_year` ON `talent_authorizations` (`enterprise_id`, `year`);
-- Create "tenancies" table
CREATE TABLE `tenancies` (`id` text NOT NULL, `park_id` text NOT NULL, `enterprise_id` integer NOT NULL, `start_date` text NOT NULL, `end_date` text NOT NULL DEFAULT (''), `floor_area_m2` real NOT NULL DEFAULT (0), `end_reason` text NOT NULL DEFAULT (''), `version` integer NOT NULL DEFAULT (1), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "tenancy_park_id_enterprise_id_start_date" to table: "tenancies"
CREATE UNIQUE INDEX `tenancy_park_id_enterprise_id_start_date` ON `tenancies` (`park_id`, `enterprise_id`, `start_date`);
-- Create index "tenancy_enterprise_id" to table: "tenancies"
CREATE INDEX `tenancy_enterprise_id` ON `tenancies` (`enterprise_id`);
