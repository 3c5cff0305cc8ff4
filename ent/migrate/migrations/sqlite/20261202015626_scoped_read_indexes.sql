-- Create index "award_talent_id" to table: "awards"
CREATE INDEX `award_talent_id` ON `awards` (`talent_id`);
-- Create index "talent_employer_id_id" to table: "talents"
CREATE INDEX `talent_employer_id_id` ON `talents` (`employer_id`, `id`);
-- Create index "tenancy_park_id_id" to table: "tenancies"
CREATE INDEX `tenancy_park_id_id` ON `tenancies` (`park_id`, `id`);
