// Package audit reads the hash-chained audit trail (filtered, paged) and
// verifies the chain, finding an edited or missing event.
package audit
