// Package client is how Go programs call the registry: BearerAuth sends a
// bearer token on every call, unary and streaming, and NewClients builds a
// generated Connect client of every registry.v1 service at one address.
// registryctl, registrybench and the tests that drive a running registry
// use it, so that there is one way to authenticate a caller.
//
// It owns no decisions: what a token may do is the registry's to say.
package client
