package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// tryAcquireAll starts as many requests as the budget allows now.
func tryAcquireAll(b *requestBudget) int {
	n := 0
	for _, ok := b.tryAcquire(); ok; _, ok = b.tryAcquire() {
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

// TestRequestBudget_429Halves: each 429 halves the requests allowed in
// flight, never below one.
func TestRequestBudget_429Halves(t *testing.T) {
	b := newRequestBudget(8)
	for _, want := range []int{4, 2, 1, 1} {
		b.observe(http.StatusTooManyRequests)
		if got := limitOf(b); got != want {
			t.Fatalf("limit after a 429 = %d, want %d", got, want)
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
	b.observe(http.StatusTooManyRequests) // 2 in flight, 6 slots idle, the limit is now 4
	if got := tryAcquireAll(b); got != 2 {
		t.Fatalf("%d more requests could start after the 429, want 2 (4 in flight)", got)
	}
	b.release()
	if got := tryAcquireAll(b); got != 1 {
		t.Errorf("%d requests could start once one of 4 ended, want 1", got)
	}
}

// TestRequestBudget_growsBackByOneARound: after a 429 the limit grows by
// one after as many successes as it allows, back to its maximum and no
// further; a waiting request starts when it grows.
func TestRequestBudget_growsBackByOneARound(t *testing.T) {
	b := newRequestBudget(8)
	b.observe(http.StatusTooManyRequests)
	b.observe(http.StatusTooManyRequests) // limit 2
	if got := tryAcquireAll(b); got != 2 {
		t.Fatalf("%d requests could start, want 2", got)
	}
	freed, ok := b.tryAcquire()
	if ok {
		t.Fatal("a third request could start")
	}
	b.observe(http.StatusOK)
	select {
	case <-freed:
		t.Fatal("one success woke the waiting request; the limit grows after two")
	default:
	}
	b.observe(http.StatusOK)
	<-freed // the limit grew to 3
	if got := tryAcquireAll(b); got != 1 {
		t.Fatalf("%d more requests could start, want 1", got)
	}
	prev := limitOf(b)
	for range 1000 {
		b.observe(http.StatusOK)
		if got := limitOf(b); got < prev || got > prev+1 {
			t.Fatalf("the limit went from %d to %d on one success", prev, got)
		}
		prev = limitOf(b)
	}
	if prev != 8 {
		t.Errorf("limit %d after 1000 successes, want 8", prev)
	}
	b.observe(http.StatusInternalServerError)
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
			b.observe(status)
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

// TestBudgetTransport_waitHonoursContext: a request waiting for a slot stops
// waiting when its context ends, and a slot comes back when the body of the
// answer that held it is closed.
func TestBudgetTransport_waitHonoursContext(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	transport := &budgetTransport{next: http.DefaultTransport, budget: newRequestBudget(1)}
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
