package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
)

// scratchName is the form CreateDatabase accepts for a database name.
var scratchName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// CreateDatabase creates the empty PostgreSQL database name on the server
// adminURL names and returns a URL for it; DropDatabase removes it. They
// are for throw-away databases (benchmarks, fault tests), never for the
// registry's own.
func CreateDatabase(ctx context.Context, adminURL, name string) (string, error) {
	if !scratchName.MatchString(name) {
		return "", fmt.Errorf("create database: bad name %q", name)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase drops the database name made by CreateDatabase, closing
// the connections still open to it.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	if !scratchName.MatchString(name) {
		return fmt.Errorf("drop database: bad name %q", name)
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
