package core

import (
	"slices"
	"testing"

	"github.com/hangzhou-ai/registry/ent/auditevent"
)

// TestEventColumns keeps the raw statements that append audit events in
// step with the schema.
func TestEventColumns(t *testing.T) {
	if !slices.Equal(eventColumns, auditevent.Columns) {
		t.Fatalf("appends write columns %v; audit_events has %v", eventColumns, auditevent.Columns)
	}
}
