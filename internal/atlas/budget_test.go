package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// tryAcquireAll starts as many requests as the budget allows now.
func tryAcquireAll(b *requestBudget) int {
	n := 0
	for b.slots.TryAcquire(1) {
		n++
	}
	return n
}

// limitOf is the number of requests the budget allows in flight now.
func limitOf(b *requestBudget) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// TestRequestBudget_aBurstOf429sHalvesOnce: the 429s to the requests sent
// before the bound was lowered halve it once, not once each; a 429 to a
// request sent after halves it again, never below one.
func TestRequestBudget_aBurstOf429sHalvesOnce(t *testing.T) {
	b := newRequestBudget(8)
	rounds := make([]int, 8)
	for i := range rounds {
		rounds[i], _ = b.acquire(t.Context())
	}
	for _, round := range rounds {
		b.observe(round, http.StatusTooManyRequests)
		b.release()
	}
	if got := limitOf(b); got != 4 {
		t.Fatalf("limit after a burst of eight 429s = %d, want 4", got)
	}
	for _, want := range []int{2, 1, 1} {
		round, _ := b.acquire(t.Context())
		b.observe(round, http.StatusTooManyRequests)
		b.release()
		if got := limitOf(b); got != want {
			t.Fatalf("limit after the 429 of a later request = %d, want %d", got, want)
		}
	}
}

// TestRequestBudget_lowerLimitAppliesAtOnce: after a 429, new requests wait
// while as many are in flight as the lowered limit allows, even though
// slots were idle when it came; they do not fill those slots first.
func TestRequestBudget_lowerLimitAppliesAtOnce(t *testing.T) {
	b := newRequestBudget(8)
	if got := tryAcquireAll(b); got != 8 {
		t.Fatalf("%d requests could start, want 8", got)
	}
	for range 6 {
		b.release()
	}
	b.observe(0, http.StatusTooManyRequests) // 2 in flight, 6 slots idle, the limit is now 4
	if got := tryAcquireAll(b); got != 2 {
		t.Fatalf("%d more requests could start after the 429, want 2 (4 in flight)", got)
	}
	b.release()
	if got := tryAcquireAll(b); got != 1 {
		t.Errorf("%d requests could start once one of 4 ended, want 1", got)
	}
}

// TestRequestBudget_growsBackByOneARound: after a 429 the limit grows by
// one after as many authenticated successes as it allows, back to its
// maximum and no further; a 401 (a digest challenge, or a refusal) and a
// server failure do not count.
func TestRequestBudget_growsBackByOneARound(t *testing.T) {
	b := newRequestBudget(8)
	b.observe(0, http.StatusTooManyRequests)
	b.observe(1, http.StatusTooManyRequests) // limit 2
	if got := tryAcquireAll(b); got != 2 {
		t.Fatalf("%d requests could start, want 2", got)
	}
	for _, status := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusBadGateway, http.StatusOK} {
		b.observe(2, status)
	}
	if b.slots.TryAcquire(1) {
		t.Fatal("a third request could start after one success; the limit grows after two")
	}
	b.observe(2, http.StatusOK)
	if !b.slots.TryAcquire(1) {
		t.Fatal("no third request could start after two successes")
	}
	prev := limitOf(b)
	for range 1000 {
		b.observe(2, http.StatusOK)
		if got := limitOf(b); got < prev || got > prev+1 {
			t.Fatalf("the limit went from %d to %d on one success", prev, got)
		}
		prev = limitOf(b)
	}
	if prev != 8 {
		t.Errorf("limit %d after 1000 successes, want 8", prev)
	}
	b.observe(2, http.StatusInternalServerError)
	if got := limitOf(b); got != 8 {
		t.Errorf("a 500 changed the limit to %d", got)
	}
}

// TestCheckRetry_statuses: the retry policy retries exactly the statuses
// worth retrying, and the budget halves on 429 only.
func TestCheckRetry_statuses(t *testing.T) {
	cases := map[int]struct {
		retry     bool
		wantLimit int
	}{
		http.StatusTooManyRequests:     {true, 4},
		http.StatusInternalServerError: {true, 8},
		http.StatusBadGateway:          {true, 8},
		http.StatusServiceUnavailable:  {true, 8},
		http.StatusGatewayTimeout:      {true, 8},
		http.StatusOK:                  {false, 8},
		http.StatusBadRequest:          {false, 8},
		http.StatusUnauthorized:        {false, 8},
		http.StatusForbidden:           {false, 8},
		http.StatusNotFound:            {false, 8},
		http.StatusNotImplemented:      {false, 8},
	}
	client := newTestClient(t, "http://127.0.0.1:1")
	for status, tc := range cases {
		t.Run(http.StatusText(status), func(t *testing.T) {
			retry, err := client.checkRetry(context.Background(), &http.Response{StatusCode: status}, nil)
			if retry != tc.retry || err != nil {
				t.Errorf("checkRetry = %v, %v; want %v, nil", retry, err, tc.retry)
			}
			b := newRequestBudget(8)
			b.observe(0, status)
			if got := limitOf(b); got != tc.wantLimit {
				t.Errorf("limit %d after a %d, want %d", got, status, tc.wantLimit)
			}
		})
	}
}

// TestClient_requestBudgetIsClientWide: many reads at once through one
// client, as Terraform runs them through one provider configuration, stay
// within max_concurrent_requests together, so a server that limits each key
// to that many requests in flight never answers 429, and every read is
// exact. A budget per read would let each read have that many in flight.
func TestClient_requestBudgetIsClientWide(t *testing.T) {
	const reads = 10
	auths := map[string]func(*Config){"API key": func(*Config) {}, "service account": withServiceAccount}
	for name, auth := range auths {
		t.Run(name, func(t *testing.T) {
			clusters := make([][]sandbox.Job, reads)
			sbx, srv := startSandbox(t, nil, func(s *sandbox.Server) {
				s.Latency = 20 * time.Millisecond
				s.MaxInFlightPerKey = DefaultMaxConcurrentRequests
				for i := range clusters {
					clusters[i] = sandbox.GenerateJobs(fmt.Sprintf("c%d", i), 1234, uint64(i))
					s.SetJobs(testProject, fmt.Sprintf("c%d", i), clusters[i])
				}
			})
			// The defaults, but 100 jobs a page: 13 pages a read.
			client := newTestClient(t, srv.URL, auth, withPaging(100, 0))

			lists := make([]*ExportJobList, reads)
			errs := make([]error, reads)
			var wg sync.WaitGroup
			for i := range reads {
				wg.Go(func() {
					lists[i], errs[i] = client.ListExportJobs(context.Background(), testProject, fmt.Sprintf("c%d", i))
				})
			}
			wg.Wait()

			for i := range reads {
				if errs[i] != nil {
					t.Errorf("read %d: %v", i, errs[i])
					continue
				}
				assertJobsOnceInOrder(t, lists[i].Jobs, clusters[i])
			}
			if n := sbx.RateLimited(); n != 0 {
				t.Errorf("the sandbox answered %d requests with 429; want none", n)
			}
			if got := sbx.MaxInFlightOfAKey(); got > DefaultMaxConcurrentRequests || got < 2 {
				t.Errorf("%d requests of the key were in flight at once; want 2 to %d", got, DefaultMaxConcurrentRequests)
			}
		})
	}
}

// TestClient_429SlowsEveryRead: a 429 answered to one read halves the
// budget of the client, so the next read, of another cluster, starts with
// fewer requests in flight than the bound.
func TestClient_429SlowsEveryRead(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 1234, 3)
	sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) {
		s.Latency = 20 * time.Millisecond
		s.SetJobs(testProject, "other", sandbox.GenerateJobs("other", 3, 1))
	})
	sbx.AddFault(sandbox.Fault{Cluster: "other", Status: http.StatusTooManyRequests, Times: 1})
	client := newTestClient(t, srv.URL, withPaging(100, 8), withMaxRetries(0))

	if _, err := client.ListExportJobs(context.Background(), testProject, "other"); StatusCode(err) != http.StatusTooManyRequests {
		t.Fatalf("reading the other cluster: %v; want its 429", err)
	}
	if got := limitOf(client.budget); got != 4 {
		t.Fatalf("the budget allows %d requests after a 429, want 4", got)
	}
	sbx.ResetRequests()
	list := listTestCluster(t, client)

	assertJobsOnceInOrder(t, list.Jobs, generated)
	// The budget grows back by one per round of successes: from 4, the 13
	// pages of this read reach 6 in flight at most.
	if got := sbx.MaxInFlightOfAKey(); got > 6 {
		t.Errorf("%d requests in flight after a 429 to another read; want at most 6", got)
	}
}

// TestAttemptTransport_waitHonoursContext: a request waiting for a slot stops
// waiting when its context ends, and a slot comes back when the body of the
// answer that held it is closed.
func TestAttemptTransport_waitHonoursContext(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	transport := &attemptTransport{next: http.DefaultTransport, budget: newRequestBudget(1), timeout: time.Minute}
	get := func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		return transport.RoundTrip(req)
	}
	held, err := get(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if resp, err := get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("a request waiting for the only slot got %v; want it to stop at its deadline", err)
	}

	held.Body.Close()
	held.Body.Close() // a second Close gives nothing back twice
	resp, err := get(context.Background())
	if err != nil {
		t.Fatalf("after the body was closed: %v", err)
	}
	resp.Body.Close()
	if got := tryAcquireAll(transport.budget); got != 1 {
		t.Errorf("the budget of one slot had %d free after a double Close", got)
	}
}

// TestClient_waitForASlotIsNotTheAttemptsTime: a request that waits for a
// slot longer than request_timeout (other reads' requests hold them) waits
// under its read's context: the wait is not "no answer within
// request_timeout", and spends no retry.
func TestClient_waitForASlotIsNotTheAttemptsTime(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	sbx, srv := startSandbox(t, generated)
	client := newTestClient(t, srv.URL, withPaging(500, 1), withMaxRetries(0),
		func(cfg *Config) { cfg.RequestTimeout = time.Second })
	// The only slot is held for longer than request_timeout, as by a slow
	// request of another read.
	if got := tryAcquireAll(client.budget); got != 1 {
		t.Fatalf("%d slots, want 1", got)
	}
	time.AfterFunc(3*time.Second/2, client.budget.release)

	list, err := client.ListExportJobs(t.Context(), testProject, testCluster)

	if err != nil {
		t.Fatalf("got %v, want the list once the slot came free", err)
	}
	assertJobsOnceInOrder(t, list.Jobs, generated)
	if got := len(attempts(sbx)); got != 1 {
		t.Errorf("%d attempts, want 1", got)
	}
}

// TestClient_digestChallengesDoNotGrowTheBudget: after a 429 lowered the
// bound, only authenticated answers count towards growing it back: the
// digest challenge before each answer is not one.
func TestClient_digestChallengesDoNotGrowTheBudget(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	sbx, srv := startSandbox(t, generated)
	sbx.AddFault(sandbox.Fault{Status: http.StatusTooManyRequests, Times: 1})
	client := newTestClient(t, srv.URL, withPaging(500, 8), withMaxRetries(0))
	if _, err := client.ListExportJobs(t.Context(), testProject, testCluster); StatusCode(err) != http.StatusTooManyRequests {
		t.Fatalf("got %v, want the 429", err)
	}
	for i, want := range []int{4, 4, 4, 5} { // the bound after i+1 answers
		if _, err := client.GetExportJob(t.Context(), testProject, testCluster, generated[0].ID); err != nil {
			t.Fatal(err)
		}
		if got := limitOf(client.budget); got != want {
			t.Fatalf("after %d answers (and as many challenges) the bound is %d, want %d", i+1, got, want)
		}
	}
}

// TestClient_slotComesBackAfterATransportError: an attempt that fails in the
// transport (the connection dropped) gives its slot back; after as many such
// failures as there are slots, the next request still goes out.
func TestClient_slotComesBackAfterATransportError(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	sbx, _ := startSandbox(t, generated)
	const slots = 2
	var dropped atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dropped.Add(1) <= slots {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		sbx.ServeHTTP(w, r)
	}))
	client := newTestClient(t, srv.URL, withPaging(500, slots), withMaxRetries(0), func(cfg *Config) {
		cfg.PublicKey, cfg.PrivateKey, cfg.AccessToken = "", "", sbx.IssueAccessToken(sandbox.ClientID)
	})
	for range slots {
		if _, err := client.ListExportJobs(t.Context(), testProject, testCluster); err == nil {
			t.Fatal("a dropped connection read a list")
		}
	}
	// A slot that never came back makes this read wait until its deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	list, err := client.ListExportJobs(ctx, testProject, testCluster)
	if err != nil {
		t.Fatalf("after %d dropped connections: %v", slots, err)
	}
	assertJobsOnceInOrder(t, list.Jobs, generated)
}
