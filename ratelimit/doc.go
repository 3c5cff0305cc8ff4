// Package ratelimit holds token buckets per key (a principal, a client
// address), so that the API and the web pages can share one budget per
// caller.
package ratelimit
