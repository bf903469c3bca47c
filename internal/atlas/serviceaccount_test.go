package atlas

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

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
			if got := sbx.CountRequests(sandbox.IsTokenRequest); got != wantCalls {
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
	if strings.Contains(err.Error(), wrongSecret) {
		t.Errorf("the secret appears in %q", err)
	}
	if got := sbx.CountRequests(sandbox.IsTokenRequest); got != 1 {
		t.Errorf("%d token requests, want 1: refused credentials are not retried", got)
	}
	if got := len(attempts(sbx)); got != 0 {
		t.Errorf("%d API requests without a token, want none", got)
	}
}

// arrivals returns a sandbox option that reports, on the channel, each
// request to path as it arrives.
func arrivals(path string) (func(*sandbox.Server), <-chan sandbox.Request) {
	arrived := make(chan sandbox.Request, 16)
	return func(s *sandbox.Server) {
		s.OnArrival = func(r sandbox.Request) {
			if r.Path == path {
				arrived <- r
			}
		}
	}, arrived
}

// TestListExportJobs_tokenRequestEndsWithTheRead: the token request waits
// no longer than the read that needs it: a hanging token endpoint ends with
// the read's deadline or cancellation, as a token failure, after one
// request (the attempt's own request_timeout, a minute, never comes).
func TestListExportJobs_tokenRequestEndsWithTheRead(t *testing.T) {
	cases := map[string]struct {
		ctx  func(arrived <-chan sandbox.Request) (context.Context, context.CancelFunc)
		want error
	}{
		"deadline": {
			ctx: func(<-chan sandbox.Request) (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Second)
			},
			want: context.DeadlineExceeded,
		},
		"cancellation": {
			ctx: func(arrived <-chan sandbox.Request) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				go func() {
					<-arrived // the token request hangs
					cancel()
				}()
				return ctx, cancel
			},
			want: context.Canceled,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			onArrival, arrived := arrivals("/api/oauth/token")
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1), onArrival)
			sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Hang: 10 * time.Minute})
			client := newTestClient(t, srv.URL, withServiceAccount)
			ctx, cancel := tc.ctx(arrived)
			defer cancel()

			_, err := client.ListExportJobs(ctx, testProject, testCluster)

			var tokenErr *TokenError
			if !errors.As(err, &tokenErr) || !errors.Is(err, tc.want) {
				t.Errorf("got %v, want a token error with %v", err, tc.want)
			}
			if got := requestSummary(sbx); got != "token" {
				t.Errorf("requests %q, want one token request", got)
			}
		})
	}
}

// TestListExportJobs_concurrentReadsShareOneToken: reads that start together
// on a new client wait for one token request, not one each.
func TestListExportJobs_concurrentReadsShareOneToken(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 950, 4))
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
	if got := sbx.CountRequests(sandbox.IsTokenRequest); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
}

// holdFirstTokenRequest holds the first token request in OnArrival until
// release is called, and tells arrived of each token request. (A Fault would
// hold whichever request reached it first, which under load need not be the
// first to arrive.) The caller defers release: the sandbox's server waits for
// the held request when it closes.
func holdFirstTokenRequest() (hook func(*sandbox.Server), arrived <-chan struct{}, release func()) {
	arrivals := make(chan struct{}, 16)
	held := make(chan struct{})
	release = sync.OnceFunc(func() { close(held) })
	var n atomic.Int32
	return func(s *sandbox.Server) {
		s.OnArrival = func(r sandbox.Request) {
			if r.Path == "/api/oauth/token" {
				// Counted before it is signalled: a request the test sends
				// once it has seen the first arrive must not be taken for
				// the first, and held, while the first goes on.
				first := n.Add(1) == 1
				arrivals <- struct{}{}
				if first {
					<-held
				}
			}
		}
	}, arrivals, release
}

// tokenWaitLogger signals each read that waits for another read's token
// request.
func tokenWaitLogger() signalLogger {
	return signalLogger{message: "waiting for the service account token another read is getting", waiting: make(chan struct{}, 16)}
}

// TestListExportJobs_waiterOutlivesTheTokenRequestItWaitedFor: a read that
// waits for another read's token request, whose caller then gives up, gets
// a token of its own instead of the other caller's cancellation.
func TestListExportJobs_waiterOutlivesTheTokenRequestItWaitedFor(t *testing.T) {
	hold, arrived, release := holdFirstTokenRequest()
	defer release()
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1), hold)
	logger := tokenWaitLogger()
	client := newTestClient(t, srv.URL, withServiceAccount, func(cfg *Config) { cfg.Logger = logger })
	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	firstDone := make(chan error, 1)
	go func() {
		_, err := client.ListExportJobs(first, testProject, testCluster)
		firstDone <- err
	}()
	<-arrived // the first read's token request, held
	secondDone := make(chan error, 1)
	go func() {
		_, err := client.ListExportJobs(context.Background(), testProject, testCluster)
		secondDone <- err
	}()
	<-logger.waiting // the second read waits for the first's token request
	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled read: %v", err)
	}
	if err := <-secondDone; err != nil {
		t.Errorf("the read that waited: %v", err)
	}
	if got := sbx.CountRequests(sandbox.IsTokenRequest); got != 2 {
		t.Errorf("%d token requests, want 2: the abandoned one and the waiting read's own", got)
	}
}

// TestListExportJobs_waitersShareATokenFailure: reads that wait for another
// read's token request, which fails within its own bounds, fail with its
// failure: a token that cannot be had costs one fetch's attempts, not one
// per read (each after the other, and each against the token rate limit).
func TestListExportJobs_waitersShareATokenFailure(t *testing.T) {
	hold, arrived, release := holdFirstTokenRequest()
	defer release()
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1), hold)
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Status: http.StatusInternalServerError})
	logger := tokenWaitLogger()
	client := newTestClient(t, srv.URL, withServiceAccount, withMaxRetries(1), func(cfg *Config) { cfg.Logger = logger })
	// The first token request is held until the two other reads wait for
	// it, then goes on to its 500.
	done := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := client.ListExportJobs(context.Background(), testProject, testCluster)
			done <- err
		}()
	}
	<-arrived
	<-logger.waiting
	<-logger.waiting
	release()
	for range 3 {
		if err := <-done; !errors.As(err, new(*TokenError)) || !strings.Contains(err.Error(), "HTTP 500") {
			t.Errorf("a read: %v, want the token request's 500", err)
		}
	}
	if got := sbx.CountRequests(sandbox.IsTokenRequest); got != 2 {
		t.Errorf("%d token requests, want 2: one fetch's attempts (max_retries = 1) for the three reads", got)
	}
}

// TestListExportJobs_tokenFailures: a token that cannot be had fails the read
// with an error that names the token request, the attempts (max_retries + 1
// for the failures worth a retry), the last status and Atlas's (or OAuth's)
// error code, and what to check; no API request is sent without a token.
func TestListExportJobs_tokenFailures(t *testing.T) {
	cases := map[string]struct {
		fault        sandbox.Fault
		wantRequests int
		want         []string
	}{
		"429 for ever": {
			fault:        sandbox.Fault{TokenEndpoint: true, Status: http.StatusTooManyRequests},
			wantRequests: 3,
			want: []string{"HTTP 429", "errorCode RATE_LIMITED", "Resource /api/oauth/token is limited to 50 requests every 1 minutes",
				"(after 3 attempts)"},
		},
		"500 for ever": {
			fault:        sandbox.Fault{TokenEndpoint: true, Status: http.StatusInternalServerError},
			wantRequests: 3, want: []string{"HTTP 500", "errorCode UNEXPECTED_ERROR", "(after 3 attempts)"},
		},
		"no answer": {
			fault:        sandbox.Fault{TokenEndpoint: true, Hang: 10 * time.Minute},
			wantRequests: 3, want: []string{"gave up after 3 attempts: no answer within request_timeout (500ms)"},
		},
		"OAuth's invalid_client": {
			fault: sandbox.Fault{TokenEndpoint: true, Status: http.StatusUnauthorized, ContentType: "application/json",
				Body: `{"error":"invalid_client","error_description":"Bad client credentials"}`},
			wantRequests: 1, want: []string{"HTTP 401", "errorCode invalid_client", "Bad client credentials"},
		},
		"Atlas's envelope": {
			fault:        sandbox.Fault{TokenEndpoint: true, Status: http.StatusUnauthorized, ErrorCode: "INVALID_CLIENT_CREDENTIALS"},
			wantRequests: 1, want: []string{"HTTP 401", "errorCode INVALID_CLIENT_CREDENTIALS"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
			sbx.AddFault(tc.fault)
			client := newTestClient(t, srv.URL, withServiceAccount, withMaxRetries(2),
				func(cfg *Config) { cfg.RequestTimeout = 500 * time.Millisecond })

			_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

			var tokenErr *TokenError
			if !errors.As(err, &tokenErr) {
				t.Fatalf("got %v, want a *TokenError", err)
			}
			want := append([]string{"getting the service account token (POST /api/oauth/token): "}, tc.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "reading page") || strings.Contains(err.Error(), sandbox.ClientSecret) {
				t.Errorf("error %q blames a page, or carries the secret", err)
			}
			if got, want := requestSummary(sbx), strings.TrimSpace(strings.Repeat("token ", tc.wantRequests)); got != want {
				t.Errorf("requests %q, want %q", got, want)
			}
		})
	}
}

// TestListExportJobs_tokenRetryAfterOutlastsRequestTimeout: the token
// request's Retry-After is waited out even when it is longer than an API
// attempt's request_timeout: the token is fetched before the API request's
// attempts, not inside one.
func TestListExportJobs_tokenRetryAfterOutlastsRequestTimeout(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	sbx, srv := startSandbox(t, generated)
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 1})
	client := newTestClient(t, srv.URL, withServiceAccount, withMaxRetries(1),
		func(cfg *Config) { cfg.RequestTimeout = 500 * time.Millisecond })

	assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
	if got := requestSummary(sbx); got != "token token page" {
		t.Errorf("requests %q, want the rate-limited token request, its retry, then the page", got)
	}
}

// TestListExportJobs_accessToken: a ready access token is sent as it is, with
// no token request; Atlas refusing it is final, with advice about its
// lifetime.
func TestListExportJobs_accessToken(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	sbx, srv := startSandbox(t, generated)
	withToken := func(token string) func(*Config) {
		return func(cfg *Config) { cfg.PublicKey, cfg.PrivateKey, cfg.AccessToken = "", "", token }
	}
	client := newTestClient(t, srv.URL, withToken(sbx.IssueAccessToken(sandbox.ClientID)))
	assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
	for _, r := range sbx.Requests() {
		if r.Auth != "bearer" || !r.Authenticated {
			t.Errorf("request %s: auth %q, authenticated %v; want the bearer token", r.Path, r.Auth, r.Authenticated)
		}
	}

	sbx.ResetRequests()
	_, err := newTestClient(t, srv.URL, withToken("expired-token")).ListExportJobs(context.Background(), testProject, testCluster)
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Credentials != CredentialsAccessToken {
		t.Errorf("got %v, want a 401 to an access token", err)
	}
	if got := requestSummary(sbx); got != "page" {
		t.Errorf("requests %q, want the one refused page", got)
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

// TestListExportJobs_lackingAccessKeepsTheToken: Atlas refusing a service
// account what it may do (a missing role: 401 USER_UNAUTHORIZED, or the
// other codes of a user outside the project) is not the token's fault, and a
// new token would not change it: the refusal is the answer, with no token
// request.
func TestListExportJobs_lackingAccessKeepsTheToken(t *testing.T) {
	for _, code := range []string{"USER_UNAUTHORIZED", "NOT_IN_GROUP", "USER_CANNOT_ACCESS_GROUP"} {
		t.Run(code, func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 5))
			client := newTestClient(t, srv.URL, withServiceAccount)
			if _, err := client.ListExportJobs(t.Context(), testProject, testCluster); err != nil {
				t.Fatal(err)
			}
			sbx.AddFault(sandbox.Fault{Status: http.StatusUnauthorized, ErrorCode: code})
			sbx.ResetRequests()

			_, err := client.ListExportJobs(t.Context(), testProject, testCluster)

			if apiErr, ok := errors.AsType[*APIError](err); !ok || !apiErr.LacksAccess() {
				t.Fatalf("got %v, want a 401 %s", err, code)
			}
			if got := requestSummary(sbx); got != "page" {
				t.Errorf("requests %q, want the one refused page", got)
			}
		})
	}
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

// TestListExportJobs_tokenRenewedByTheClock: a token is reused until the
// client's clock is within a minute of its expiry, then renewed once; the
// clock is the client's, so no test waits for it.
func TestListExportJobs_tokenRenewedByTheClock(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 5)
	sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.TokenLifetime = time.Hour })
	client := newTestClient(t, srv.URL, withServiceAccount)
	start := time.Now()
	for _, step := range []struct {
		after      time.Duration
		wantTokens int
	}{
		{0, 1},
		{58 * time.Minute, 1}, // more than a minute left
		{59*time.Minute + 30*time.Second, 2},
	} {
		client.now = func() time.Time { return start.Add(step.after) }
		assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
		if got := sbx.TokensIssued(); got != step.wantTokens {
			t.Errorf("%v after the first token: %d tokens issued, want %d", step.after, got, step.wantTokens)
		}
	}
}
