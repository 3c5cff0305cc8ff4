package store

import (
	"errors"

	"github.com/lib/pq"
)

// IsTransient tells the failures a database may give a transaction that
// would succeed when run again: PostgreSQL's deadlock_detected (40P01) and
// serialization_failure (40001). SQLite, with one writer at a time, gives
// none.
func IsTransient(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40P01" || pqErr.Code == "40001"
	}
	return false
}
