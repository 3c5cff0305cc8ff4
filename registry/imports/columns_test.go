package imports

import (
	"slices"
	"testing"

	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
)

// TestDesignationColumns keeps the import's COPY of designations in step
// with the schema: a column added to designations must be given a value
// here too (or the import would store its default, whatever the grant path
// stores).
func TestDesignationColumns(t *testing.T) {
	if !slices.Equal(designationColumns, entdesignation.Columns) {
		t.Fatalf("the import writes columns %v; designations has %v", designationColumns, entdesignation.Columns)
	}
	if n := len(designationValues(&ent.Designation{})); n != len(designationColumns) {
		t.Fatalf("%d values for %d columns", n, len(designationColumns))
	}
}
