package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"connectrpc.com/connect/v2"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// recorder is an HTTP client that remembers the Authorization header of
// every request it sends, keyed by URL path.
type recorder struct {
	next *http.Client
	mu   sync.Mutex
	seen map[string][]string // path → Authorization values; "" when absent
}

func newRecorder(next *http.Client) *recorder {
	return &recorder{next: next, seen: map[string][]string{}}
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen[req.URL.Path] = append(r.seen[req.URL.Path], req.Header.Get("Authorization"))
	_, present := req.Header["Authorization"]
	if !present {
		r.seen[req.URL.Path][len(r.seen[req.URL.Path])-1] = "<absent>"
	}
	r.mu.Unlock()
	return r.next.Do(req)
}

func (r *recorder) headers(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen[path]...)
}

// importOnce runs a dry-run import of no rows and returns the first error
// of the stream, nil when it ends in an outcome.
func importOnce(ctx context.Context, c *client.Clients) error {
	stream, err := c.Import.ImportEnterprises(ctx)
	if err != nil {
		return err
	}
	defer stream.Close()
	if err := stream.Send(&registryv1.ImportEnterprisesRequest{Options: &registryv1.ImportOptions{DryRun: true}}); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	outcome := false
	for {
		res, err := stream.Receive()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		outcome = outcome || res.GetProgress().GetOutcome() == registryv1.ImportOutcome_IMPORT_OUTCOME_DRY_RUN
	}
	if !outcome {
		return errors.New("the import ended without a dry-run outcome")
	}
	return nil
}

// TestBearerAuth calls a real registry through NewClients and BearerAuth:
// the header goes out, exactly, on unary calls and on bidirectional
// streams, and not at all for an empty token; the registry's answers
// follow from it.
func TestBearerAuth(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "经信局 张三", Org: "bureau:economy-it", Role: "issuer"})
	const (
		unaryPath  = "/registry.v1.DesignationService/ListDesignationTypes"
		streamPath = "/registry.v1.ImportService/ImportEnterprises"
	)
	tests := []struct {
		name       string
		token      string
		wantHeader string // "<absent>" when none may be sent
		wantCode   connect.Code
	}{
		{"issued token", token, "Bearer " + token, 0},
		{"empty token", "", "<absent>", connect.CodeUnauthenticated},
		{"unknown token", "rgt_not-a-token", "Bearer rgt_not-a-token", connect.CodeUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			unary, streams := newRecorder(http.DefaultClient), newRecorder(client.H2C())
			c := client.NewClients(unary, env.URL,
				client.WithInterceptors(client.BearerAuth(tc.token)), client.WithStreamingHTTPClient(streams))

			_, err := c.Designation.ListDesignationTypes(t.Context(), &registryv1.ListDesignationTypesRequest{})
			if got := rpctest.Code(err); got != tc.wantCode {
				t.Errorf("unary call: code %v (%v), want %v", got, err, tc.wantCode)
			}
			if got := unary.headers(unaryPath); len(got) != 1 || got[0] != tc.wantHeader {
				t.Errorf("unary call sent Authorization %q, want [%q]", got, tc.wantHeader)
			}

			err = importOnce(t.Context(), c)
			if got := rpctest.Code(err); got != tc.wantCode {
				t.Errorf("stream: code %v (%v), want %v", got, err, tc.wantCode)
			}
			if got := streams.headers(streamPath); len(got) != 1 || got[0] != tc.wantHeader {
				t.Errorf("stream sent Authorization %q, want [%q]", got, tc.wantHeader)
			}
			if got := unary.headers(streamPath); len(got) != 0 {
				t.Errorf("the stream went over the unary HTTP client too: %q", got)
			}
		})
	}
}

// TestBearerAuthReplacesHeader checks that the interceptor's token wins
// over an Authorization header the caller set on the call.
func TestBearerAuthReplacesHeader(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "viewer", Org: "bureau:economy-it", Role: "viewer"})
	rec := newRecorder(http.DefaultClient)
	c := client.NewClients(rec, env.URL, client.WithInterceptors(client.BearerAuth(token)))
	ctx, info := connect.NewClientContext(t.Context())
	info.RequestHeader().Set("Authorization", "Bearer rgt_stale")
	if _, err := c.Designation.ListDesignationTypes(ctx, &registryv1.ListDesignationTypesRequest{}); err != nil {
		t.Fatalf("call: %v", err)
	}
	if got := rec.headers("/registry.v1.DesignationService/ListDesignationTypes"); len(got) != 1 || got[0] != "Bearer "+token {
		t.Fatalf("sent Authorization %q, want the interceptor's token", got)
	}
}

// TestNewClientsReachEveryService calls one method of each service
// through the clients NewClients builds: each reaches its own service
// (a client wired to the wrong one would get unimplemented).
func TestNewClientsReachEveryService(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	admin := env.Token(registry.Principal{Subject: "admin", Org: "admin", Role: "admin"})
	economy := env.Token(registry.Principal{Subject: "economy", Org: "bureau:economy-it", Role: "issuer"})
	auditor := env.Token(registry.Principal{Subject: "auditor", Org: "auditor", Role: "auditor"})
	as := func(token string) *client.Clients {
		return client.NewClients(http.DefaultClient, env.URL,
			client.WithInterceptors(client.BearerAuth(token)), client.WithStreamingHTTPClient(client.H2C()))
	}
	ctx := t.Context()
	calls := []struct {
		service string
		call    func() error
	}{
		{"EnterpriseService", func() error {
			_, err := as(economy).Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{})
			return err
		}},
		{"TalentService", func() error {
			_, err := as(economy).Talent.ListTalents(ctx, &registryv1.ListTalentsRequest{})
			return err
		}},
		{"DesignationService", func() error {
			_, err := as(economy).Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{})
			return err
		}},
		{"AccessService", func() error {
			_, err := as(admin).Access.ListTokens(ctx, &registryv1.ListTokensRequest{})
			return err
		}},
		{"AuditService", func() error {
			_, err := as(auditor).Audit.VerifyAuditChain(ctx, &registryv1.VerifyAuditChainRequest{})
			return err
		}},
		{"TalentAuthorizationService", func() error {
			_, err := as(economy).TalentAuthorization.ListTalentAuthorizations(ctx, &registryv1.ListTalentAuthorizationsRequest{})
			return err
		}},
		{"CompetitionService", func() error {
			_, err := as(economy).Competition.ListCompetitions(ctx, &registryv1.ListCompetitionsRequest{})
			return err
		}},
		{"ParkService", func() error {
			_, err := as(economy).Park.ListParks(ctx, &registryv1.ListParksRequest{})
			return err
		}},
		{"VerificationService", func() error {
			_, err := as("").Verification.GetSigningKeys(ctx, &registryv1.GetSigningKeysRequest{})
			return err
		}},
		{"ImportService", func() error { return importOnce(ctx, as(economy)) }},
	}
	for _, c := range calls {
		t.Run(c.service, func(t *testing.T) {
			if err := c.call(); err != nil {
				t.Fatalf("%s: %v", c.service, err)
			}
		})
	}
}
