-- Drop index "designation_type_document_number" from table: "designations"
DROP INDEX `designation_type_document_number`;
-- Create index "designation_document_number_type" to table: "designations"
CREATE INDEX `designation_document_number_type` ON `designations` (`document_number`, `type`);
