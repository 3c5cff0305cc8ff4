package designation

import (
	"fmt"
	"strings"
)

// TreeSizeColumn is a select column that reads the audit tree's size in the statement's own
// snapshot, so the size covers every row the statement read.
const TreeSizeColumn = `(SELECT h.tree_size FROM audit_heads h WHERE h.id = 1)`

// HeldOnSQL is the statement that lists the designations of enterprise $1 valid and
// active on $2 whose type is one of n types ($3 …), in id order.
func HeldOnSQL(n int) string {
	var b strings.Builder
	b.WriteString(`SELECT d.id, d.type, ` + TreeSizeColumn + ` FROM designations d
WHERE d.enterprise_id = $1 AND d.valid_from <= $2 AND d.valid_until >= $2
	AND COALESCE((SELECT sc.status FROM status_changes sc WHERE sc.designation_id = d.id AND sc.effective_on <= $2
		ORDER BY sc.effective_on DESC, sc.id DESC LIMIT 1), 'active') = 'active'
	AND d.type IN (`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+3)
	}
	b.WriteString(") ORDER BY d.id")
	return b.String()
}
