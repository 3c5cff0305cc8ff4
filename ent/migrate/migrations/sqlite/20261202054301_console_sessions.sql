-- Create "console_sessions" table
CREATE TABLE `console_sessions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `session_hash` text NOT NULL, `token_hash` text NULL, `subject` text NOT NULL, `organisation` text NOT NULL, `role` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `ended_at` datetime NULL);
-- Create index "console_sessions_session_hash_key" to table: "console_sessions"
CREATE UNIQUE INDEX `console_sessions_session_hash_key` ON `console_sessions` (`session_hash`);
