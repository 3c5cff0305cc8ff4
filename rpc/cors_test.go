package rpc_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestCORS checks that only configured origins may call the API from a
// browser: their preflights are answered with the Connect and gRPC-Web
// methods and headers, their answers expose the protocols' headers, and
// other origins (or any origin without configuration) get no CORS
// headers at all.
func TestCORS(t *testing.T) {
	reg, _ := registrytest.Open(t, storetest.SQLite(t))
	api := rpc.NewHandler(reg, zaptest.NewLogger(t), rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute}))
	allowed := "https://app.example.gov.cn"
	withCORS := httptest.NewServer(rpc.CORS([]string{allowed}, api))
	defer withCORS.Close()
	without := httptest.NewServer(rpc.CORS(nil, api))
	defer without.Close()
	procedure := "/registry.v1.DesignationService/ListDesignationTypes"

	preflight := func(base, origin, headers string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, base+procedure, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := preflight(withCORS.URL, allowed, "authorization,connect-protocol-version,content-type,idempotency-key,x-grpc-web") // sorted, as browsers send it
	if res.StatusCode/100 != 2 || res.Header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("allowed origin's preflight: %d, allow-origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	allowedHeaders := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "connect-protocol-version", "x-grpc-web", "idempotency-key"} {
		if !strings.Contains(allowedHeaders, h) {
			t.Errorf("preflight does not allow %s: %q", h, allowedHeaders)
		}
	}
	if res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials are allowed; API callers send bearer tokens, never cookies")
	}
	if res := preflight(withCORS.URL, "https://attacker.example", "authorization"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin is allowed: %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	if res := preflight(without.URL, allowed, "authorization"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin is allowed though none is configured")
	}

	// A gRPC-Web call from the allowed origin can read grpc-status.
	req, _ := http.NewRequest(http.MethodPost, withCORS.URL+procedure, strings.NewReader("\x00\x00\x00\x00\x00"))
	req.Header.Set("Origin", allowed)
	req.Header.Set("Content-Type", "application/grpc-web+proto")
	req.Header.Set("X-Grpc-Web", "1")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.Header.Get("Access-Control-Allow-Origin") != allowed || !strings.Contains(strings.ToLower(res2.Header.Get("Access-Control-Expose-Headers")), "grpc-status") {
		t.Errorf("gRPC-Web answer: allow-origin %q, expose %q", res2.Header.Get("Access-Control-Allow-Origin"), res2.Header.Get("Access-Control-Expose-Headers"))
	}
}

func TestCheckOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"https://app.example.gov.cn": true, "http://localhost:5173": true,
		"app.example.gov.cn": false, "https://app.example.gov.cn/": false, "https://a.example/path": false,
		"ftp://a.example": false, "*": false, "https://user@a.example": false,
	} {
		if err := rpc.CheckOrigin(origin); (err == nil) != ok {
			t.Errorf("CheckOrigin(%q) = %v, want ok=%v", origin, err, ok)
		}
	}
}
