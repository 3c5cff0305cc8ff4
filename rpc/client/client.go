package client

import (
	"context"
	"net/http"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connecthttp"

	"github.com/hangzhou-ai/registry/rpc/gen/registry/v1/registryv1connect"
)

// BearerAuth returns a client interceptor that sends
// "Authorization: Bearer <token>" on every call it wraps, unary and
// streaming alike, replacing any Authorization header the caller set. An
// empty token sends no Authorization header at all, as an anonymous caller
// (of VerificationService, say) does. The token is sent as given; callers
// that read it from a file or the environment trim it first.
func BearerAuth(token string) connect.ClientInterceptor {
	if token == "" {
		return func(next connect.ClientFunc) connect.ClientFunc { return next }
	}
	value := "Bearer " + token
	return func(next connect.ClientFunc) connect.ClientFunc {
		return func(ctx context.Context, spec connect.Spec) (connect.ClientStream, error) {
			// connect.Client attaches a CallInfo to every call's context
			// before the interceptors run.
			if info, ok := connect.CallInfoForClientContext(ctx); ok {
				info.RequestHeader().Set("Authorization", value)
			}
			return next(ctx, spec)
		}
	}
}

// Clients holds a generated client of every registry.v1 service. Its
// fields may be replaced one by one, by a client over another transport
// say; NewClients fills them all.
type Clients struct {
	Enterprise  registryv1connect.EnterpriseServiceClient
	Talent      registryv1connect.TalentServiceClient
	Designation registryv1connect.DesignationServiceClient
	Access      registryv1connect.AccessServiceClient
	Audit       registryv1connect.AuditServiceClient
	// TalentAuthorization and Competition serve the talent office's work.
	TalentAuthorization registryv1connect.TalentAuthorizationServiceClient
	Competition         registryv1connect.CompetitionServiceClient
	// Park and Verification serve park operators and anyone checking.
	Park         registryv1connect.ParkServiceClient
	Verification registryv1connect.VerificationServiceClient
	// Benefit keeps the support ledger: applications, awards, payments.
	Benefit registryv1connect.BenefitServiceClient
	// Import streams in both directions, which needs HTTP/2: see
	// WithStreamingHTTPClient.
	Import registryv1connect.ImportServiceClient
	// Change reads the change feed; its watches are streams too.
	Change registryv1connect.ChangeServiceClient
	// Webhook subscribes URLs to the change feed.
	Webhook registryv1connect.WebhookServiceClient
}

// Option changes how NewClients builds its clients.
type Option func(*options)

type options struct {
	interceptors []connect.ClientInterceptor
	transport    []connecthttp.Option
	streaming    connecthttp.HTTPClient
}

// WithInterceptors adds client interceptors to every client, in argument
// order (the first is the outermost); BearerAuth is the usual one.
func WithInterceptors(interceptors ...connect.ClientInterceptor) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, interceptors...) }
}

// WithTransportOptions passes options to every client's HTTP transport:
// connecthttp.WithGRPC() to speak gRPC instead of Connect, say.
func WithTransportOptions(opts ...connecthttp.Option) Option {
	return func(o *options) { o.transport = append(o.transport, opts...) }
}

// WithStreamingHTTPClient sends the calls that stream in both directions
// (ImportService) over httpClient instead of NewClients' own. They need
// HTTP/2: over http:// addresses an HTTP client such as H2C's; over
// https:// any *http.Client whose transport negotiates HTTP/2.
func WithStreamingHTTPClient(httpClient connecthttp.HTTPClient) Option {
	return func(o *options) { o.streaming = httpClient }
}

// NewClients returns a client of every registry.v1 service at baseURL
// (scheme, host and port, e.g. http://localhost:8080), over httpClient,
// with the options' interceptors. Every client shares one connect.Client,
// except ImportService's when WithStreamingHTTPClient gives it its own.
func NewClients(httpClient connecthttp.HTTPClient, baseURL string, opts ...Option) *Clients {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := connect.NewClient(connecthttp.NewTransport(httpClient, baseURL, o.transport...), o.interceptors...)
	streams := c
	if o.streaming != nil {
		streams = connect.NewClient(connecthttp.NewTransport(o.streaming, baseURL, o.transport...), o.interceptors...)
	}
	return &Clients{
		Enterprise:          registryv1connect.NewEnterpriseServiceClient(c),
		Talent:              registryv1connect.NewTalentServiceClient(c),
		Designation:         registryv1connect.NewDesignationServiceClient(c),
		Access:              registryv1connect.NewAccessServiceClient(c),
		Audit:               registryv1connect.NewAuditServiceClient(c),
		TalentAuthorization: registryv1connect.NewTalentAuthorizationServiceClient(c),
		Competition:         registryv1connect.NewCompetitionServiceClient(c),
		Park:                registryv1connect.NewParkServiceClient(c),
		Verification:        registryv1connect.NewVerificationServiceClient(c),
		Benefit:             registryv1connect.NewBenefitServiceClient(c),
		Import:              registryv1connect.NewImportServiceClient(streams),
		Change:              registryv1connect.NewChangeServiceClient(streams),
		Webhook:             registryv1connect.NewWebhookServiceClient(c),
	}
}

// H2C returns an HTTP client of its own that speaks only HTTP/2 without
// TLS ("h2c"), as bidirectional streams to an http:// address need.
func H2C() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}}
}
