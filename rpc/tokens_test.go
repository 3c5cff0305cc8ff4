package rpc_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect/v2"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// tokenWorks reports the code of a call made with clients (0 on success).
func tokenCall(ctx context.Context, c *rpctest.Clients) connect.Code {
	_, err := c.Enterprise.ListEnterprises(ctx, &registryv1.ListEnterprisesRequest{})
	return rpctest.Code(err)
}

// TestTokenRevokedAtOnce: a token revoked through AccessService.RevokeToken
// is refused on the very next call, and a token differing from a live one
// in one character is refused.
func TestTokenRevokedAtOnce(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		admin := env.As("admin", "admin")
		res, err := admin.Access.CreateToken(ctx, &registryv1.CreateTokenRequest{Subject: "吊销测试", Organisation: "bureau:economy-it", Role: "viewer"})
		if err != nil {
			t.Fatal(err)
		}
		viewer := env.ClientsWithToken(res.Token)
		if code := tokenCall(ctx, viewer); code != 0 {
			t.Fatalf("fresh token: %v", code)
		}
		last := res.Token[len(res.Token)-1]
		altered := res.Token[:len(res.Token)-1] + string(map[bool]byte{true: 'A', false: 'Q'}[last != 'A'])
		if code := tokenCall(ctx, env.ClientsWithToken(altered)); code != connect.CodeUnauthenticated {
			t.Errorf("token altered in its last character: %v, want unauthenticated", code)
		}
		if _, err := admin.Access.RevokeToken(ctx, &registryv1.RevokeTokenRequest{Id: res.Info.Id}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if code := tokenCall(ctx, viewer); code != connect.CodeUnauthenticated {
				t.Fatalf("call %d after revocation: %v, want unauthenticated", i+1, code)
			}
		}
		// The administrator's own token is untouched.
		if _, err := admin.Access.ListTokens(ctx, &registryv1.ListTokensRequest{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTokenExpiresOnTime: a token created with a 1-day TTL works until the
// test clock reaches its expiry and is refused from that instant on.
func TestTokenExpiresOnTime(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		env := rpctest.New(t, db)
		ctx := t.Context()
		admin := env.As("admin", "admin")
		res, err := admin.Access.CreateToken(ctx, &registryv1.CreateTokenRequest{Subject: "一日通", Organisation: "bureau:economy-it", Role: "viewer", TtlDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Info.ExpiresAt == nil || !res.Info.ExpiresAt.AsTime().Equal(rpctest.Start.Add(24*time.Hour)) {
			t.Fatalf("expires_at = %v, want %v", res.Info.ExpiresAt, rpctest.Start.Add(24*time.Hour))
		}
		viewer := env.ClientsWithToken(res.Token)
		for _, tc := range []struct {
			at   time.Time
			want connect.Code
		}{
			{rpctest.Start, 0},
			{rpctest.Start.Add(24*time.Hour - time.Microsecond), 0},
			{rpctest.Start.Add(24 * time.Hour), connect.CodeUnauthenticated},
			{rpctest.Start.Add(25 * time.Hour), connect.CodeUnauthenticated},
			{rpctest.Start.Add(400 * 24 * time.Hour), connect.CodeUnauthenticated},
		} {
			env.Clock.Set(tc.at)
			if code := tokenCall(ctx, viewer); code != tc.want {
				t.Errorf("at %s: %v, want %v", tc.at.Sub(rpctest.Start), code, tc.want)
			}
		}
	})
}
