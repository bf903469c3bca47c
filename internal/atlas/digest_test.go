package atlas

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestDigest_answersCachedChallengeAhead proves the round trips the cached
// challenge saves, and that a server refusing nonce reuse still gets every
// page, through mongodb-forks/digest's own challenge handling.
func TestDigest_answersCachedChallengeAhead(t *testing.T) {
	cases := map[string]struct {
		singleUse bool
		// requests the sandbox sees for two reads of 3 pages each (the
		// 1,000 jobs of 500 per page end with an empty third page).
		wantRequests, wantChallenges int
	}{
		"nonce reused":            {singleUse: false, wantRequests: 1 + 6, wantChallenges: 1},
		"strict single-use nonce": {singleUse: true, wantRequests: 2 * 6, wantChallenges: 6},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx := sandbox.NewEmpty()
			sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
			sbx.SetJobs(sandbox.ProjectID, "c1", sandbox.GenerateJobs("c1", 1000, 3))
			sbx.SingleUseNonces = tc.singleUse
			srv := httptest.NewServer(sbx)
			t.Cleanup(srv.Close)
			client, err := New(Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey,
				MaxConcurrentRequests: 1})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				list, err := client.ListExportJobs(context.Background(), sandbox.ProjectID, "c1")
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Jobs) != 1000 {
					t.Fatalf("got %d jobs, want 1000", len(list.Jobs))
				}
			}
			requests, challenges := 0, 0
			for _, r := range sbx.Requests() {
				requests++
				if r.Status == 401 {
					challenges++
				}
			}
			if requests != tc.wantRequests || challenges != tc.wantChallenges {
				t.Errorf("the sandbox saw %d requests of which %d were answered with a challenge; want %d and %d",
					requests, challenges, tc.wantRequests, tc.wantChallenges)
			}
		})
	}
}

// TestDigest_strictNonceCountsUnderConcurrency: pages in flight answer the
// cached challenge with counts that may overtake each other. A server that
// refuses a count below one it has accepted answers those with a fresh
// challenge, which digest.Transport answers; no read may fail for it, and
// the first answer to a new challenge must never be overtaken.
func TestDigest_strictNonceCountsUnderConcurrency(t *testing.T) {
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.SetJobs(sandbox.ProjectID, "c1", sandbox.GenerateJobs("c1", 2345, 5))
	sbx.StrictNonceCounts = true
	sbx.Latency = 2 * time.Millisecond // lets answers overtake each other
	srv := httptest.NewServer(sbx)
	t.Cleanup(srv.Close)
	client, err := New(Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey,
		ItemsPerPage: 100, MaxConcurrentRequests: 8, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	for read := range 10 {
		list, err := client.ListExportJobs(context.Background(), sandbox.ProjectID, "c1")
		if err != nil {
			t.Fatalf("read %d: %v", read, err)
		}
		if len(list.Jobs) != 2345 {
			t.Fatalf("read %d: got %d jobs, want 2345", read, len(list.Jobs))
		}
	}
}

// recordingLogger keeps the client's messages.
type recordingLogger struct {
	mu       sync.Mutex
	messages []string
}

func (l *recordingLogger) Debug(_ context.Context, msg string, _ map[string]any) {
	l.add("debug: " + msg)
}
func (l *recordingLogger) Warn(_ context.Context, msg string, _ map[string]any) {
	l.add("warn: " + msg)
}

func (l *recordingLogger) add(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.messages = append(l.messages, msg)
}

// count returns how many messages contain text.
func (l *recordingLogger) count(text string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.messages {
		if strings.Contains(m, text) {
			n++
		}
	}
	return n
}

// digestReads is what the sandbox saw during each of a few reads of one
// client.
type digestReads struct {
	requests []int // per read
	pages    []int // authenticated requests per read: one per page
	refused  int   // digest answers the sandbox refused, over all reads
	client   *Client
	logger   *recordingLogger
}

func (r digestReads) total() int {
	n := 0
	for _, v := range r.requests {
		n += v
	}
	return n
}

// readsOfDigestServer reads a 20-page list three times with one client
// against a sandbox that configure makes strict. digestAlone replaces the
// client's authentication with plain mongodb-forks/digest, the baseline.
func readsOfDigestServer(t *testing.T, configure func(*sandbox.Server), concurrency int, digestAlone bool) digestReads {
	t.Helper()
	// 950 jobs of 50 a page: totalCount predicts 19 full pages, and the
	// empty 20th that proves the end is asked for with them.
	generated := sandbox.GenerateJobs(testCluster, 950, 6)
	sbx, srv := startSandbox(t, generated, configure, func(s *sandbox.Server) {
		s.Latency = 2 * time.Millisecond // lets answers in flight overtake each other
	})
	logger := &recordingLogger{}
	client := newTestClient(t, srv.URL, withPaging(50, concurrency), withMaxRetries(0),
		func(cfg *Config) { cfg.Logger = logger })
	if digestAlone {
		client.api.HTTPClient.Transport = digest.NewTransportWithHTTPRoundTripper(sandbox.PublicKey, sandbox.PrivateKey,
			newTransport(concurrency))
	}
	out := digestReads{client: client, logger: logger}
	for range 3 {
		sbx.ResetRequests()
		assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
		seen := sbx.Requests()
		out.requests = append(out.requests, len(seen))
		pages := 0
		for _, r := range seen {
			switch {
			case r.Authenticated:
				pages++
			case r.Auth == "digest" && r.Status == http.StatusUnauthorized:
				out.refused++
			}
		}
		out.pages = append(out.pages, pages)
	}
	return out
}

// TestDigest_preAnswersCostAtMostOneRefusal compares the requests of three
// reads with those mongodb-forks/digest alone makes for the same reads,
// against a server that accepts reused nonces, one whose nonces serve once,
// and one that refuses a nonce count below one it has seen (so answers that
// overtake each other on the way). Whatever the server, the client makes no
// more requests than digest alone plus one; a server that refuses reuse sees
// one pre-computed answer, one that refuses overtaken counts sees at most
// one batch of them; where reuse is accepted, a page costs one request once
// a nonce is known.
func TestDigest_preAnswersCostAtMostOneRefusal(t *testing.T) {
	servers := map[string]struct {
		configure  func(*sandbox.Server)
		maxRefused func(concurrency int) int
		reuse      bool // the server accepts a reused nonce
		// oneAPage: every read after the first costs one request a page.
		// Otherwise the later reads may still learn a nonce for each page
		// in flight (one request more each, once).
		oneAPage bool
	}{
		"reuse accepted": {configure: func(*sandbox.Server) {}, reuse: true, oneAPage: true,
			maxRefused: func(int) int { return 0 }},
		"single-use nonces": {configure: func(s *sandbox.Server) { s.SingleUseNonces = true },
			maxRefused: func(int) int { return 1 }},
		// The pages waiting for the first probe are sent together with
		// one nonce; after that batch a nonce serves one page at a time.
		"strict nonce counts": {configure: func(s *sandbox.Server) { s.StrictNonceCounts = true }, reuse: true,
			maxRefused: func(concurrency int) int { return concurrency - 1 }},
	}
	for name, server := range servers {
		for _, concurrency := range []int{1, 8} {
			t.Run(fmt.Sprintf("%s, %d in flight", name, concurrency), func(t *testing.T) {
				alone := readsOfDigestServer(t, server.configure, concurrency, true)
				ours := readsOfDigestServer(t, server.configure, concurrency, false)
				accepted, refused := ours.client.DigestStats()
				t.Logf("requests per read: digest alone %v, with pre-answers %v, for %v pages; pre-answers accepted %d, refused %d",
					alone.requests, ours.requests, ours.pages, accepted, refused)

				for i, pages := range alone.pages {
					if alone.requests[i] != 2*pages {
						t.Fatalf("the baseline made %d requests for %d pages, want 2 a page", alone.requests[i], pages)
					}
				}
				if ours.total() > alone.total()+1 {
					t.Errorf("%d requests, digest alone %d: more than one extra", ours.total(), alone.total())
				}
				if refused != ours.refused {
					t.Errorf("DigestStats counts %d refused pre-answers, the sandbox refused %d digest answers", refused, ours.refused)
				}
				if limit := server.maxRefused(concurrency); ours.refused > limit {
					t.Errorf("the server refused %d pre-computed answers, want at most %d", ours.refused, limit)
				}
				wantOffs := 0
				if !server.reuse {
					wantOffs = 1
				}
				if offs := ours.logger.count("debug: Atlas refuses digest answers to reused nonces"); offs != wantOffs {
					t.Errorf("the fallback to digest's exchange was logged %d times, want %d", offs, wantOffs)
				}
				if !server.reuse {
					return
				}
				// A nonce learned on the first page serves the next.
				if concurrency == 1 && ours.requests[0] != ours.pages[0]+1 {
					t.Errorf("first read: %d requests for %d pages, want a challenge and one a page", ours.requests[0], ours.pages[0])
				}
				later, laterPages := 0, 0
				for i := 1; i < len(ours.requests); i++ {
					later, laterPages = later+ours.requests[i], laterPages+ours.pages[i]
					if server.oneAPage && ours.requests[i] != ours.pages[i] {
						t.Errorf("read %d: %d requests for %d pages, want one a page", i+1, ours.requests[i], ours.pages[i])
					}
				}
				if later > laterPages+concurrency {
					t.Errorf("later reads: %d requests for %d pages, want one a page and a nonce per page in flight", later, laterPages)
				}
			})
		}
	}
}

// digestWire records, below the client's authentication, every digest
// answer sent and the status it got.
type digestWire struct {
	next    http.RoundTripper
	mu      sync.Mutex
	answers []wireAnswer
}

type wireAnswer struct {
	nonce, nc string
	status    int
}

func (w *digestWire) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if auth := req.Header.Get("Authorization"); err == nil && strings.HasPrefix(auth, "Digest ") {
		params := parseChallengeParams(auth)
		w.mu.Lock()
		w.answers = append(w.answers, wireAnswer{nonce: params["nonce"], nc: params["nc"], status: resp.StatusCode})
		w.mu.Unlock()
	}
	return resp, err
}

// TestDigest_expiringNoncesKeepTheSaving: a server that accepts reused
// nonces but expires them (as Atlas may) refuses the pre-answers that meet
// an expired nonce. After the first expiry a nonce serves one page at a
// time and is refused once at most, and the saving stays.
func TestDigest_expiringNoncesKeepTheSaving(t *testing.T) {
	const lifetime, concurrency = 500 * time.Millisecond, 4
	// 300 jobs of 50 a page: 7 pages, the last one empty.
	generated := sandbox.GenerateJobs(testCluster, 300, 7)
	sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) {
		s.NonceLifetime = lifetime
		s.Latency = 2 * time.Millisecond
	})
	wire := &digestWire{next: newTransport(concurrency)}
	client := newTestClient(t, srv.URL, withPaging(50, concurrency), withMaxRetries(0),
		func(cfg *Config) { cfg.Transport = wire })
	start := time.Now()
	reads := 0
	for time.Since(start) < 4*lifetime || reads < 20 {
		assertJobsOnceInOrder(t, listTestCluster(t, client).Jobs, generated)
		reads++
	}

	pages := 0
	for _, r := range sbx.Requests() {
		if r.Authenticated {
			pages++
		}
	}
	requests := len(sbx.Requests())
	accepted, refused := client.DigestStats()
	t.Logf("%d reads in %v of nonces lasting %v: %d requests for %d pages (digest alone: %d); pre-answers accepted %d, refused %d",
		reads, time.Since(start).Round(time.Millisecond), lifetime, requests, pages, 2*pages, accepted, refused)
	refusals := map[string]int{}
	wireRefused := 0
	for _, a := range wire.answers {
		if a.status == http.StatusUnauthorized {
			wireRefused++
			refusals[a.nonce]++
		}
	}
	// Only while nonces are shared can one be refused more than once: by
	// the pages in flight when it expires, the first time one does.
	shared := 0
	for nonce, n := range refusals {
		if n > 1 {
			shared++
			if n > concurrency {
				t.Errorf("nonce %s was refused %d times, more than the pages in flight", nonce, n)
			}
		}
	}
	if shared > 1 {
		t.Errorf("%d nonces were refused more than once, want at most 1", shared)
	}
	if refused != wireRefused {
		t.Errorf("DigestStats counts %d refused pre-answers, the wire shows %d", refused, wireRefused)
	}
	if refused > accepted+1 {
		t.Errorf("%d pre-answers refused, %d accepted", refused, accepted)
	}
	if requests > 2*pages*3/4 {
		t.Errorf("%d requests for %d pages: the saving is gone", requests, pages)
	}
}

// TestDigest_slowProbeHoldsOthersBriefly: requests wait for the outcome of
// the first pre-answer (the probe) for a moment only; a probe whose page is
// slow does not hold the other reads for as long as it takes.
func TestDigest_slowProbeHoldsOthersBriefly(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 8))
	sbx.SetJobs(testProject, "slow", sandbox.GenerateJobs("slow", 3, 9))
	client := newTestClient(t, srv.URL)
	listTestCluster(t, client) // learns a nonce, sends no pre-answer
	sbx.AddFault(sandbox.Fault{Cluster: "slow", Hang: 3 * maxProbeWait, Times: 1})

	slow := make(chan error, 1)
	go func() {
		_, err := client.ListExportJobs(context.Background(), testProject, "slow")
		slow <- err
	}()
	waitUntil(t, "the probe's page hangs", func() bool { return sbx.FaultsFired() > 0 })
	other := make(chan error, 1)
	go func() {
		_, err := client.ListExportJobs(context.Background(), testProject, testCluster)
		other <- err
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-slow:
		t.Fatalf("the slow read (%v) ended before the other one: the other waited for its probe", err)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if accepted, refused := client.DigestStats(); accepted != 1 || refused != 0 {
		t.Errorf("pre-answers accepted %d, refused %d; want the probe accepted, and no other pre-answer while it was in flight", accepted, refused)
	}
}
