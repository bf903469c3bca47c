package atlas

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

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
		// sequential reads one page at a time: pages in flight together
		// share the token request they wait for.
		sequential bool
	}{
		"an hour: fetched once, reused": {lifetime: time.Hour, wantCalls: 1},
		// expires_in 60: with the one minute early renewal the token is
		// stale as soon as it arrives.
		"a minute: renewed for every request": {lifetime: time.Minute, wantFresh: true, sequential: true},
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
			concurrency := 4
			if tc.sequential {
				concurrency = 1
			}
			client := newTestClient(t, srv.URL, withServiceAccount, withPaging(100, concurrency))

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

// hangingTokenEndpoint serves jobs with a token endpoint that never answers
// within the test, and a service account client of it.
func hangingTokenEndpoint(t *testing.T) (*sandbox.Server, *Client) {
	t.Helper()
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Hang: 10 * time.Minute})
	return sbx, newTestClient(t, srv.URL, withServiceAccount)
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestListExportJobs_tokenRequestEndsWithTheRead: the token request waits
// no longer than the read that needs it. The bound is generous for a shared
// machine; a token request that ignored the read's context would run for
// the request timeout of every attempt (minutes).
func TestListExportJobs_tokenRequestEndsWithTheRead(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		_, client := hangingTokenEndpoint(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := client.ListExportJobs(ctx, testProject, testCluster)
		if elapsed := time.Since(start); elapsed > 15*time.Second {
			t.Errorf("the read took %v; its 2s deadline must end it", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("cancellation", func(t *testing.T) {
		sbx, client := hangingTokenEndpoint(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := client.ListExportJobs(ctx, testProject, testCluster)
			done <- err
		}()
		waitUntil(t, "the token request hangs", func() bool { return sbx.FaultsFired() > 0 })
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("the read still runs %v after it was cancelled", time.Since(start))
		}
	})
}

// TestListExportJobs_concurrentReadsShareOneToken: reads that start together
// on a new client wait for one token request, not one each.
func TestListExportJobs_concurrentReadsShareOneToken(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 950, 4))
	// A slow token endpoint makes every read find the token request in flight.
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Hang: 300 * time.Millisecond, Times: 1})
	client := newTestClient(t, srv.URL, withServiceAccount, withPaging(100, 8))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := client.ListExportJobs(context.Background(), testProject, testCluster)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := sbx.TokensIssued(); got != 1 {
		t.Errorf("%d tokens issued, want 1", got)
	}
	if got := tokenRequests(sbx); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
}

// TestListExportJobs_refusedTokenIsRenewedOnce: a 401 to a cached token
// (revoked, or expired before its time) drops it, and the request is sent
// once more with a new token; a 401 to that new token is the answer.
func TestListExportJobs_refusedTokenIsRenewedOnce(t *testing.T) {
	t.Run("refused once", func(t *testing.T) {
		generated := sandbox.GenerateJobs(testCluster, 250, 5)
		sbx, srv := startSandbox(t, generated)
		client := newTestClient(t, srv.URL, withServiceAccount, withPaging(100, 1))
		if _, err := client.GetExportJob(context.Background(), testProject, testCluster, generated[0].ID); err != nil {
			t.Fatal(err)
		}
		sbx.AddFault(sandbox.Fault{Status: http.StatusUnauthorized, ErrorCode: "INVALID_BEARER_TOKEN", Times: 1})

		assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
		if got := sbx.TokensIssued(); got != 2 {
			t.Errorf("%d tokens issued, want 2: the refused one and its renewal", got)
		}
	})
	t.Run("refused always", func(t *testing.T) {
		sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 5))
		client := newTestClient(t, srv.URL, withServiceAccount, withMaxRetries(3))
		if _, err := client.ListExportJobs(context.Background(), testProject, testCluster); err != nil {
			t.Fatal(err)
		}
		sbx.AddFault(sandbox.Fault{Status: http.StatusUnauthorized, ErrorCode: "INVALID_BEARER_TOKEN"})
		sbx.ResetRequests()

		_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

		if StatusCode(err) != http.StatusUnauthorized {
			t.Fatalf("got %v, want a 401", err)
		}
		if got, want := requestSummary(sbx), "page token page"; got != want {
			t.Errorf("requests %q, want %q: one renewal, no loop", got, want)
		}
	})
}

// requestSummary is one word per request: "token" or "page".
func requestSummary(sbx *sandbox.Server) string {
	var words []string
	for _, r := range sbx.Requests() {
		if r.Path == "/api/oauth/token" {
			words = append(words, "token")
		} else {
			words = append(words, "page")
		}
	}
	return strings.Join(words, " ")
}

// heldTokenEndpoint answers token requests only when release is closed, and
// reports each request on arrived.
type heldTokenEndpoint struct {
	arrived chan *http.Request
	release chan struct{}
}

func (h *heldTokenEndpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	h.arrived <- req
	select {
	case <-h.release:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(`{"access_token":"t1","token_type":"Bearer","expires_in":3600}`)),
		Request: req}, nil
}

// newHeldTokenCache is a token cache whose token endpoint is endpoint.
func newHeldTokenCache() (*tokenCache, *heldTokenEndpoint) {
	endpoint := &heldTokenEndpoint{arrived: make(chan *http.Request, 4), release: make(chan struct{})}
	return &tokenCache{
		config: &clientcredentials.Config{ClientID: "id", ClientSecret: "secret", TokenURL: "http://127.0.0.1/api/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		httpClient: &http.Client{Transport: endpoint},
	}, endpoint
}

// TestTokenCache_oneWaiterGivingUpLeavesTheOthers: callers waiting for the
// same token request share it; the first one's cancellation neither fails
// the second nor stops the request it still waits for.
func TestTokenCache_oneWaiterGivingUpLeavesTheOthers(t *testing.T) {
	cache, endpoint := newHeldTokenCache()
	first, cancelFirst := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, _, err := cache.get(first)
		firstErr <- err
	}()
	req := <-endpoint.arrived
	secondDone := make(chan error, 1)
	var second *oauth2.Token
	go func() {
		var err error
		second, _, err = cache.get(context.Background())
		secondDone <- err
	}()
	waitUntil(t, "both callers wait", func() bool {
		cache.mu.Lock()
		defer cache.mu.Unlock()
		return cache.call != nil && cache.call.waiters == 2
	})

	cancelFirst()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: got %v, want context.Canceled", err)
	}
	if err := req.Context().Err(); err != nil {
		t.Fatalf("the token request was stopped (%v) while the second caller still waits for it", err)
	}
	close(endpoint.release)
	if err := <-secondDone; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if second.AccessToken != "t1" {
		t.Errorf("second caller got token %q, want t1", second.AccessToken)
	}
	if n := len(endpoint.arrived); n != 0 {
		t.Errorf("%d more token requests, want none", n)
	}
}

// TestTokenCache_lastWaiterGivingUpStopsTheRequest: a token request nobody
// waits for any more does not run on, and the next caller starts afresh.
func TestTokenCache_lastWaiterGivingUpStopsTheRequest(t *testing.T) {
	cache, endpoint := newHeldTokenCache()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := cache.get(ctx)
		done <- err
	}()
	req := <-endpoint.arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v; want context.Canceled", err)
	}
	waitUntil(t, "the abandoned token request stops", func() bool { return req.Context().Err() != nil })

	close(endpoint.release)
	token, fresh, err := cache.get(context.Background())
	if err != nil || !fresh || token.AccessToken != "t1" {
		t.Fatalf("next caller: token %v, fresh %v, err %v; want a fresh token", token, fresh, err)
	}
	if n := len(endpoint.arrived); n != 1 {
		t.Errorf("%d new token requests, want 1", n)
	}
}
