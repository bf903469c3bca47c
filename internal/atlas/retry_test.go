package atlas

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestListExportJobs_retriesThenSucceeds: rate limiting, Atlas's and a
// proxy's failures, a body cut short and a hung answer are all retried, and
// the walk still returns every job once.
func TestListExportJobs_retriesThenSucceeds(t *testing.T) {
	cases := map[string]struct {
		fault        sandbox.Fault
		timeout      time.Duration
		wantAttempts int // on the faulty page
	}{
		"429":                    {fault: sandbox.Fault{Status: http.StatusTooManyRequests, Times: 2}, wantAttempts: 3},
		"500":                    {fault: sandbox.Fault{Status: http.StatusInternalServerError, Times: 2}, wantAttempts: 3},
		"502 from a proxy, HTML": {fault: sandbox.Fault{Status: http.StatusBadGateway, HTML: true, Times: 2}, wantAttempts: 3},
		"503":                    {fault: sandbox.Fault{Status: http.StatusServiceUnavailable, Times: 2}, wantAttempts: 3},
		"504":                    {fault: sandbox.Fault{Status: http.StatusGatewayTimeout, Times: 2}, wantAttempts: 3},
		"body cut short":         {fault: sandbox.Fault{Truncate: true, Times: 2}, wantAttempts: 3},
		"hung answer":            {fault: sandbox.Fault{Hang: 10 * time.Second, Times: 1}, timeout: 500 * time.Millisecond, wantAttempts: 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 1234, 2)
			sbx, srv := startSandbox(t, generated)
			fault := tc.fault
			fault.Page = 2
			sbx.AddFault(fault)
			client := newTestClient(t, srv.URL, withMaxRetries(3), func(cfg *Config) {
				if tc.timeout > 0 {
					cfg.RequestTimeout = tc.timeout
				}
			})

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
			if got := countPage(t, sbx, 2); got != tc.wantAttempts {
				t.Errorf("page 2 was asked for %d times, want %d", got, tc.wantAttempts)
			}
			if list.Walks != 1 {
				t.Errorf("Walks = %d, want 1: a retried page is not a changed list", list.Walks)
			}
		})
	}
}

func countPage(t *testing.T, sbx *sandbox.Server, page int) int {
	t.Helper()
	n := 0
	for _, p := range pagesRequested(t, sbx) {
		if p == page {
			n++
		}
	}
	return n
}

// TestBackoff: Retry-After, in seconds or as an HTTP date, decides the wait
// after a 429 or a 503, up to maxRetryAfter; other answers, and a
// Retry-After that does not parse, wait exponentially with jitter between
// half and all of the step, bounded by the maximum.
func TestBackoff(t *testing.T) {
	answer := func(status int, retryAfter string) *http.Response {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		if retryAfter != "" {
			resp.Header.Set("Retry-After", retryAfter)
		}
		return resp
	}
	const minWait, maxWait = time.Second, 30 * time.Second
	exactly := func(d time.Duration) [2]time.Duration { return [2]time.Duration{d, d} }
	cases := map[string]struct {
		resp    *http.Response
		attempt int
		want    [2]time.Duration // the bounds of the wait
	}{
		"429, seconds":             {resp: answer(429, "7"), want: exactly(7 * time.Second)},
		"503, seconds":             {resp: answer(503, "7"), want: exactly(7 * time.Second)},
		"503, an HTTP date":        {resp: answer(503, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), want: exactly(maxRetryAfter)},
		"429, beyond the bound":    {resp: answer(429, "86400"), want: exactly(maxRetryAfter)},
		"500 ignores Retry-After":  {resp: answer(500, "7"), want: [2]time.Duration{minWait / 2, minWait}},
		"429 without Retry-After":  {resp: answer(429, ""), attempt: 2, want: [2]time.Duration{2 * time.Second, 4 * time.Second}},
		"a transport error":        {attempt: 1, want: [2]time.Duration{time.Second, 2 * time.Second}},
		"a late attempt is capped": {attempt: 10, want: [2]time.Duration{maxWait / 2, maxWait}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for range 20 { // the jitter
				if got := backoff(minWait, maxWait, tc.attempt, tc.resp); got < tc.want[0] || got > tc.want[1] {
					t.Fatalf("backoff = %v, want %v to %v", got, tc.want[0], tc.want[1])
				}
			}
		})
	}
}

// TestListExportJobs_waitsOutRetryAfter: a 429 or a 503 whose Retry-After
// asks for an hour is not retried within a read that ends sooner: the read
// ends at its deadline after one attempt, where the backoff alone would
// have retried within milliseconds and succeeded.
func TestListExportJobs_waitsOutRetryAfter(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
			sbx.AddFault(sandbox.Fault{Status: status, RetryAfter: "3600", Times: 1})
			client := newTestClient(t, srv.URL, withMaxRetries(2))
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()

			_, err := client.ListExportJobs(ctx, testProject, testCluster)

			if !errors.Is(err, context.DeadlineExceeded) || len(attempts(sbx)) != 1 {
				t.Errorf("got %v after %d attempts, want the read's deadline after 1", err, len(attempts(sbx)))
			}
		})
	}
}

// TestListExportJobs_rateLimitedForever: with MaxRetries 2 the client stops
// after exactly 3 attempts, in bounded time, and says what Atlas said.
func TestListExportJobs_rateLimitedForever(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
	sbx.AddFault(sandbox.Fault{Status: http.StatusTooManyRequests})
	client := newTestClient(t, srv.URL, withMaxRetries(2))

	_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Attempts != 3 {
		t.Fatalf("got %v, want a 429 APIError after 3 attempts", err)
	}
	for _, want := range []string{"after 3 attempts", "429", "RATE_LIMITED", "Scripted by the sandbox: Too Many Requests."} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
	if got := len(attempts(sbx)); got != 3 {
		t.Errorf("%d attempts reached the sandbox, want 3", got)
	}
}

// TestListExportJobs_bodyErrors: answers whose body is not the expected JSON
// end in a *ResponseBodyError that quotes the content type and the start of
// the body. A body cut short is retried; a complete wrong body is not.
func TestListExportJobs_bodyErrors(t *testing.T) {
	longHTML := "<html><body>" + strings.Repeat("<p>Please sign in to the corporate proxy.</p>", 10) + "</body></html>"
	cases := map[string]struct {
		fault           sandbox.Fault
		wantAttempts    int
		wantContentType string
		wantSnippet     string // the whole snippet, or its start when wantSnippetPrefix
		snippetIsPrefix bool
		anySnippet      bool // neither content type nor snippet checked
		wantUnwrap      error
		wantInMessage   []string
	}{
		"cut short every time": {
			fault:        sandbox.Fault{Truncate: true},
			wantAttempts: 3, wantContentType: v2ContentType,
			wantSnippet: `{"links":[`, snippetIsPrefix: true, wantUnwrap: io.ErrUnexpectedEOF,
			wantInMessage: []string{"after 3 attempts", "unexpected EOF"},
		},
		"HTML with status 200": {
			fault:        sandbox.Fault{Status: http.StatusOK, HTML: true},
			wantAttempts: 1, wantContentType: "text/html; charset=utf-8",
			wantSnippet:   "<html>\r\n<head><title>200 OK</title></head>\r\n<body>\r\n<center><h1>200 OK</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
			wantInMessage: []string{"is not JSON"},
		},
		"long HTML with status 200": {
			fault:        sandbox.Fault{Status: http.StatusOK, Body: longHTML, ContentType: "text/html"},
			wantAttempts: 1, wantContentType: "text/html",
			wantSnippet: longHTML[:200],
		},
		// The check for "results" follows the decoding, where the
		// client no longer has the answer's content type and body at
		// hand: they are not checked here.
		"JSON without results": {
			fault:        sandbox.Fault{Status: http.StatusOK, Body: `{"links":[],"totalCount":3}`, ContentType: v2ContentType},
			wantAttempts: 1, anySnippet: true,
			wantInMessage: []string{`no "results" array`},
		},
		"a body beyond any page": {
			fault:        sandbox.Fault{Status: http.StatusOK, Body: `{"results":[` + strings.Repeat(" ", 65<<20) + `]}`, ContentType: v2ContentType},
			wantAttempts: 1, wantContentType: v2ContentType,
			wantSnippet: `{"results":[`, snippetIsPrefix: true,
			wantInMessage: []string{"larger than 64 MiB"},
		},
		"JSON with trailing garbage": {
			fault:        sandbox.Fault{Status: http.StatusOK, Body: `{"results":[],"totalCount":0} {"results":[]}`, ContentType: v2ContentType},
			wantAttempts: 1, wantContentType: v2ContentType,
			wantSnippet: `{"results":[],"totalCount":0} {"results":[]}`,
		},
		"JSON of the wrong shape": {
			fault:        sandbox.Fault{Status: http.StatusOK, Body: `{"results":{"id":1}}`, ContentType: v2ContentType},
			wantAttempts: 1, wantContentType: v2ContentType,
			wantSnippet: `{"results":{"id":1}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 20, 1))
			sbx.AddFault(tc.fault)
			client := newTestClient(t, srv.URL, withMaxRetries(2))

			_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

			var bodyErr *ResponseBodyError
			if !errors.As(err, &bodyErr) {
				t.Fatalf("got %v (%T), want a *ResponseBodyError", err, err)
			}
			if bodyErr.StatusCode != http.StatusOK {
				t.Errorf("StatusCode = %d, want 200", bodyErr.StatusCode)
			}
			wantInMessage := append(tc.wantInMessage, "first 200 characters")
			if !tc.anySnippet {
				if bodyErr.ContentType != tc.wantContentType {
					t.Errorf("ContentType = %q, want %q", bodyErr.ContentType, tc.wantContentType)
				}
				snippetOK := bodyErr.BodySnippet == tc.wantSnippet ||
					(tc.snippetIsPrefix && strings.HasPrefix(bodyErr.BodySnippet, tc.wantSnippet))
				if !snippetOK || len([]rune(bodyErr.BodySnippet)) > 200 {
					t.Errorf("BodySnippet %q, want %q (at most 200 characters)", bodyErr.BodySnippet, tc.wantSnippet)
				}
				// The message quotes the snippet Go-style.
				quoted := strings.TrimSuffix(strconv.Quote(tc.wantSnippet), `"`)
				wantInMessage = append(wantInMessage, `content type "`+tc.wantContentType+`"`, quoted)
			}
			msg := err.Error()
			for _, want := range wantInMessage {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			if tc.wantUnwrap != nil && !errors.Is(err, tc.wantUnwrap) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.wantUnwrap)
			}
			if got := len(attempts(sbx)); got != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", got, tc.wantAttempts)
			}
		})
	}
}

// TestListExportJobs_cancelStopsHungRead: cancelling the context ends a read
// that Atlas never answers, with the context's error, and is not retried.
func TestListExportJobs_cancelStopsHungRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1), func(s *sandbox.Server) {
		s.OnArrival = func(r sandbox.Request) {
			if r.Auth == "digest" {
				cancel() // the page's attempt hangs
			}
		}
	})
	sbx.AddFault(sandbox.Fault{Hang: time.Minute})
	client := newTestClient(t, srv.URL) // the default 60 s request timeout

	_, err := client.ListExportJobs(ctx, testProject, testCluster)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if got := len(attempts(sbx)); got != 1 {
		t.Errorf("%d attempts, want 1: a cancelled read is not retried", got)
	}
}

// TestListExportJobs_rateLimitedPagesInParallel: 429s on several pages read in
// parallel are retried and lose no job.
func TestListExportJobs_rateLimitedPagesInParallel(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 1234, 4)
	sbx, srv := startSandbox(t, generated)
	for _, page := range []int{2, 3, 5, 8, 13} {
		sbx.AddFault(sandbox.Fault{Page: page, Status: http.StatusTooManyRequests, Times: 2})
	}
	client := newTestClient(t, srv.URL, withPaging(100, 8), withMaxRetries(4))

	list := listTestCluster(t, client)

	assertJobsOnceInOrder(t, list.Jobs, generated)
	if sbx.FaultsFired() != 10 {
		t.Errorf("%d faults fired, want 10", sbx.FaultsFired())
	}
}
