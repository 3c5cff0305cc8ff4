package migrate

// This file is written by hand; ent generates the rest of the package.

import "entgo.io/ent/dialect"

// Driver returns the driver the schema works on, so that the registry can
// apply the versioned migrations in ent/migrate/migrations on the same
// database as the client.
func (s *Schema) Driver() dialect.Driver { return s.drv }
