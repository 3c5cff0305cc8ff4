package designation

import (
	"slices"
	"testing"

	"github.com/hangzhou-ai/registry/ent"
	entdesignation "github.com/hangzhou-ai/registry/ent/designation"
)

// TestColumns keeps the raw inserts of designations (InsertDesignation,
// the import's COPY) in step with the schema: a column added to
// designations must be given its value in Row and Values too.
func TestColumns(t *testing.T) {
	if !slices.Equal(Columns, entdesignation.Columns) {
		t.Fatalf("the inserts write columns %v; designations has %v", Columns, entdesignation.Columns)
	}
	if n := len(Values(&ent.Designation{})); n != len(Columns) {
		t.Fatalf("%d values for %d columns", n, len(Columns))
	}
}
