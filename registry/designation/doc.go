// Package designation owns designations: granting one of a bureau's
// types, reading and listing them (scoped to what the caller may read)
// today, on a date or as recorded at an instant (from their status history
// and audit events, see At), their lifecycle (suspend, reinstate, revoke,
// renew) and their public status. It exports InsertDesignation, the one
// way other programmes create a designation, and OnRevoke, the hook
// through which they learn of a revocation inside its transaction.
package designation
