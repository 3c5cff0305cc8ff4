-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_audit_events" table
CREATE TABLE `new_audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `actor_subject` text NOT NULL, `actor_org` text NOT NULL, `actor_role` text NOT NULL, `action` text NOT NULL, `entity_type` text NOT NULL, `entity_id` text NOT NULL, `before` text NOT NULL DEFAULT (''), `after` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `prev_hash` text NOT NULL, `hash` text NOT NULL, `owner_org` text NOT NULL DEFAULT (''));
-- Copy rows from old table "audit_events" to new temporary table "new_audit_events"
INSERT INTO `new_audit_events` (`id`, `occurred_at`, `actor_subject`, `actor_org`, `actor_role`, `action`, `entity_type`, `entity_id`, `before`, `after`, `reason`, `prev_hash`, `hash`) SELECT `id`, `occurred_at`, `actor_subject`, `actor_org`, `actor_role`, `action`, `entity_type`, `entity_id`, `before`, `after`, `reason`, `prev_hash`, `hash` FROM `audit_events`;
-- Drop "audit_events" table after copying rows
DROP TABLE `audit_events`;
-- Rename temporary table "new_audit_events" to "audit_events"
ALTER TABLE `new_audit_events` RENAME TO `audit_events`;
-- Create index "auditevent_entity_type_entity_id" to table: "audit_events"
CREATE INDEX `auditevent_entity_type_entity_id` ON `audit_events` (`entity_type`, `entity_id`);
-- Create index "auditevent_actor_subject" to table: "audit_events"
CREATE INDEX `auditevent_actor_subject` ON `audit_events` (`actor_subject`);
-- Create index "auditevent_owner_org_id" to table: "audit_events"
CREATE INDEX `auditevent_owner_org_id` ON `audit_events` (`owner_org`, `id`);
-- Create "new_audit_heads" table
CREATE TABLE `new_audit_heads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL DEFAULT (0), `hash` text NOT NULL DEFAULT (''), `tree_size` integer NOT NULL DEFAULT (0), `frontier` blob NULL);
-- Copy rows from old table "audit_heads" to new temporary table "new_audit_heads"
INSERT INTO `new_audit_heads` (`id`, `seq`, `hash`) SELECT `id`, `seq`, `hash` FROM `audit_heads`;
-- Drop "audit_heads" table after copying rows
DROP TABLE `audit_heads`;
-- Rename temporary table "new_audit_heads" to "audit_heads"
ALTER TABLE `new_audit_heads` RENAME TO `audit_heads`;
-- Create "audit_tree_hashes" table
CREATE TABLE `audit_tree_hashes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `hash` blob NOT NULL);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `subscription_id` text NOT NULL, `seq` integer NOT NULL, `attempt` integer NOT NULL DEFAULT (1), `redelivery` bool NOT NULL DEFAULT (false), `pending` bool NOT NULL DEFAULT (false), `requested_at` datetime NOT NULL, `attempted_at` datetime NULL, `status_code` integer NOT NULL DEFAULT (0), `succeeded` bool NOT NULL DEFAULT (false), `error` text NOT NULL DEFAULT (''), `next_attempt_at` datetime NULL);
-- Create index "webhookdelivery_subscription_id_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_subscription_id_id` ON `webhook_deliveries` (`subscription_id`, `id`);
-- Create index "webhookdelivery_pending_subscription_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_pending_subscription_id` ON `webhook_deliveries` (`pending`, `subscription_id`) WHERE pending;
-- Create "webhook_subscriptions" table
CREATE TABLE `webhook_subscriptions` (`id` text NOT NULL, `url` text NOT NULL, `entity_types` json NULL, `owner_org` text NOT NULL, `owner_role` text NOT NULL, `created_by` text NOT NULL, `created_at` datetime NOT NULL, `secret_sealed` blob NOT NULL, `cursor` integer NOT NULL DEFAULT (0), `attempts` integer NOT NULL DEFAULT (0), `failing_since` datetime NULL, `next_attempt_at` datetime NULL, `lease_until` datetime NULL, `leased_by` text NOT NULL DEFAULT (''), `disabled_at` datetime NULL, `disabled_reason` text NOT NULL DEFAULT (''), `deleted_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "webhooksubscription_owner_org_url" to table: "webhook_subscriptions"
CREATE UNIQUE INDEX `webhooksubscription_owner_org_url` ON `webhook_subscriptions` (`owner_org`, `url`) WHERE deleted_at IS NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
