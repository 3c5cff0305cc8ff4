package rpc

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// CheckOrigin accepts a browser origin as CORS compares it: a scheme
// (http or https), a host and an optional port, nothing else.
func CheckOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin (scheme://host[:port])", origin)
	}
	return nil
}

// CORS lets browser apps on origins call the API with the Connect protocol
// and gRPC-Web: preflight requests are answered, and the methods, request
// headers and response headers those protocols use are allowed (the
// lists come from connectrpc.com/cors), besides Authorization and
// Idempotency-Key. No origins means no cross-origin access: h is returned
// as it is. Credentials (cookies) are never allowed: API callers send
// bearer tokens.
func CORS(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: connectcors.AllowedMethods(),
		AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", IdempotencyKeyHeader),
		ExposedHeaders: connectcors.ExposedHeaders(),
		MaxAge:         int(2 * time.Hour / time.Second),
	})
	return c.Handler(h)
}
