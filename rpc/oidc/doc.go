// Package oidc verifies single sign-on bearer tokens: JSON Web Tokens (ID or
// access tokens) issued by the city's OpenID Connect identity provider. It
// discovers the provider's signing keys from
// <issuer>/.well-known/openid-configuration, caches them, refetches on an
// unknown key id at most once per interval, checks signature, issuer,
// audience and validity period, and maps configured claims to a registry
// principal held to the same rules as a registry token's.
//
// It knows nothing of Connect: package rpc decides which bearer tokens to
// hand it and turns its errors into status codes.
package oidc
