-- Create "support_applications" table
CREATE TABLE `support_applications` (`id` text NOT NULL, `measure_code` text NOT NULL, `enterprise_id` integer NOT NULL, `year` integer NOT NULL, `basis_reference` text NOT NULL, `basis_kind` text NOT NULL DEFAULT (''), `basis_amount_fen` integer NOT NULL, `basis_date` text NOT NULL, `project_total_fen` integer NOT NULL DEFAULT (0), `loan_principal_fen` integer NOT NULL DEFAULT (0), `evidence` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('pending'), `live` bool NOT NULL DEFAULT (true), `reason` text NOT NULL DEFAULT (''), `awarded_fen` integer NOT NULL DEFAULT (0), `breakdown` json NULL, `applied_by` text NOT NULL, `applied_at` datetime NOT NULL, `decided_by` text NOT NULL DEFAULT (''), `decided_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "supportapplication_live_cost_item" to table: "support_applications"
CREATE UNIQUE INDEX `supportapplication_live_cost_item` ON `support_applications` (`enterprise_id`, `measure_code`, `year`, `basis_reference`, `basis_kind`) WHERE live;
-- Create index "supportapplication_measure_code_status_id" to table: "support_applications"
CREATE INDEX `supportapplication_measure_code_status_id` ON `support_applications` (`measure_code`, `status`, `id`);
-- Create index "supportapplication_enterprise_id_id" to table: "support_applications"
CREATE INDEX `supportapplication_enterprise_id_id` ON `support_applications` (`enterprise_id`, `id`);
-- Create "support_awards" table
CREATE TABLE `support_awards` (`id` text NOT NULL, `application_id` text NOT NULL, `measure_code` text NOT NULL, `enterprise_id` integer NOT NULL, `year` integer NOT NULL, `basis_reference` text NOT NULL, `awarded_fen` integer NOT NULL, `disbursed_fen` integer NOT NULL DEFAULT (0), `recovered_fen` integer NOT NULL DEFAULT (0), `awarded_on` text NOT NULL, `relied_on_designation_id` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `support_award_paid_within` CHECK (disbursed_fen >= 0 AND disbursed_fen <= awarded_fen), CONSTRAINT `support_award_recovered_within` CHECK (recovered_fen >= 0 AND recovered_fen <= disbursed_fen));
-- Create index "support_awards_application_id_key" to table: "support_awards"
CREATE UNIQUE INDEX `support_awards_application_id_key` ON `support_awards` (`application_id`);
-- Create index "supportaward_enterprise_id_year" to table: "support_awards"
CREATE INDEX `supportaward_enterprise_id_year` ON `support_awards` (`enterprise_id`, `year`);
-- Create index "supportaward_measure_code_year_id" to table: "support_awards"
CREATE INDEX `supportaward_measure_code_year_id` ON `support_awards` (`measure_code`, `year`, `id`);
-- Create index "supportaward_awarded_fen_id" to table: "support_awards"
CREATE INDEX `supportaward_awarded_fen_id` ON `support_awards` (`awarded_fen`, `id`);
-- Create "support_counters" table
CREATE TABLE `support_counters` (`id` text NOT NULL, `used_fen` integer NOT NULL DEFAULT (0), `limit_fen` integer NOT NULL DEFAULT (-1), `used_count` integer NOT NULL DEFAULT (0), `limit_count` integer NOT NULL DEFAULT (-1), PRIMARY KEY (`id`), CONSTRAINT `support_counter_count_within` CHECK (used_count >= 0 AND (limit_count < 0 OR used_count <= limit_count)), CONSTRAINT `support_counter_fen_within` CHECK (used_fen >= 0 AND (limit_fen < 0 OR used_fen <= limit_fen)));
-- Create "support_disbursements" table
CREATE TABLE `support_disbursements` (`id` text NOT NULL, `award_id` text NOT NULL, `amount_fen` integer NOT NULL, `paid_on` text NOT NULL, `payer` text NOT NULL, `recorded_by` text NOT NULL, `recorded_at` datetime NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `support_disbursement_positive` CHECK (amount_fen > 0));
-- Create index "supportdisbursement_award_id_id" to table: "support_disbursements"
CREATE INDEX `supportdisbursement_award_id_id` ON `support_disbursements` (`award_id`, `id`);
-- Create "support_recoveries" table
CREATE TABLE `support_recoveries` (`id` text NOT NULL, `award_id` text NOT NULL, `enterprise_id` integer NOT NULL, `amount_fen` integer NOT NULL, `reason` text NOT NULL, `ordered_on` text NOT NULL, `ordered_by` text NOT NULL, `settled_on` text NOT NULL DEFAULT (''), `settled` bool NOT NULL DEFAULT (false), `settled_by` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `support_recovery_positive` CHECK (amount_fen > 0));
-- Create index "supportrecovery_award_id_id" to table: "support_recoveries"
CREATE INDEX `supportrecovery_award_id_id` ON `support_recoveries` (`award_id`, `id`);
-- Create index "supportrecovery_enterprise_id" to table: "support_recoveries"
CREATE INDEX `supportrecovery_enterprise_id` ON `support_recoveries` (`enterprise_id`) WHERE NOT settled;
