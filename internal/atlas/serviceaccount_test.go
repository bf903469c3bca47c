package atlas

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// tokenRequests counts the requests to the token endpoint.
func tokenRequests(sbx *sandbox.Server) int {
	n := 0
	for _, r := range sbx.Requests() {
		if r.Path == "/api/oauth/token" {
			n++
		}
	}
	return n
}

// TestListExportJobs_serviceAccountTokens: one token serves every page while
// it is valid; a token the client would see expire within its one minute
// margin is renewed before each request; a token endpoint that fails once
// is retried.
func TestListExportJobs_serviceAccountTokens(t *testing.T) {
	cases := map[string]struct {
		lifetime  time.Duration
		fault     *sandbox.Fault
		wantFresh bool // a token per request
		wantCalls int  // token requests, when not one per request
	}{
		"an hour: fetched once, reused": {lifetime: time.Hour, wantCalls: 1},
		// expires_in 60: with the one minute early renewal the token is
		// stale as soon as it arrives.
		"a minute: renewed for every request": {lifetime: time.Minute, wantFresh: true},
		"token endpoint 503 once": {
			lifetime: time.Hour, fault: &sandbox.Fault{TokenEndpoint: true, Status: http.StatusServiceUnavailable, Times: 1},
			wantCalls: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 1234, 8)
			sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.TokenLifetime = tc.lifetime })
			if tc.fault != nil {
				sbx.AddFault(*tc.fault)
			}
			client := newTestClient(t, srv.URL, withServiceAccount, withPaging(100, 4))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
			api := attempts(sbx)
			for _, r := range api {
				if r.Auth != "bearer" || !r.Authenticated {
					t.Errorf("request %s?%s: auth %q, authenticated %v; want a valid bearer token", r.Path, r.RawQuery, r.Auth, r.Authenticated)
				}
			}
			wantIssued, wantCalls := 1, tc.wantCalls
			if tc.wantFresh {
				wantIssued, wantCalls = len(api), len(api)
			}
			if got := sbx.TokensIssued(); got != wantIssued {
				t.Errorf("%d tokens issued for %d requests, want %d", got, len(api), wantIssued)
			}
			if got := tokenRequests(sbx); got != wantCalls {
				t.Errorf("%d token requests, want %d", got, wantCalls)
			}
		})
	}
}

// TestListExportJobs_badClientSecret: a refused service account ends at
// once in a 401 APIError whose hint names the service account settings, and
// the secret is not repeated.
func TestListExportJobs_badClientSecret(t *testing.T) {
	const wrongSecret = "mdb_sa_sk_not_the_right_one"
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
	client := newTestClient(t, srv.URL, withServiceAccount, withMaxRetries(3), func(cfg *Config) { cfg.ClientSecret = wrongSecret })

	_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want a 401 APIError", err)
	}
	for _, want := range []string{"401", "invalid_client", "Invalid client credentials"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
	if hint := Hint(err); !strings.Contains(hint, "client_id/client_secret") {
		t.Errorf("hint %q does not name the service account attributes", hint)
	}
	if strings.Contains(err.Error(), wrongSecret) || strings.Contains(Hint(err), wrongSecret) {
		t.Errorf("the secret appears in %q", err)
	}
	if got := tokenRequests(sbx); got != 1 {
		t.Errorf("%d token requests, want 1: refused credentials are not retried", got)
	}
	if got := len(attempts(sbx)); got != 0 {
		t.Errorf("%d API requests without a token, want none", got)
	}
}
