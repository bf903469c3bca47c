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

// TestRequestBudget_throttleHalves: each 429 halves the requests allowed in flight,
// never below one.
func TestRequestBudget_throttleHalves(t *testing.T) {
	l := newRequestBudget(8)
	for _, want := range []int{4, 2, 1, 1} {
		l.throttle()
		if got := l.limit(); got != want {
			t.Fatalf("limit after a throttle = %d, want %d", got, want)
		}
	}
}

// TestRequestBudget_capacityFollowsLimit: pages already in flight finish, but
// as they release their slots only the new limit may start again; recovered
// capacity becomes available again.
func TestRequestBudget_capacityFollowsLimit(t *testing.T) {
	l := newRequestBudget(8)
	ctx := context.Background()
	for range 8 {
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	l.throttle() // 8 in flight, the limit is now 4
	for range 8 {
		l.release()
	}
	if got := tryAcquireAll(l); got != 4 {
		t.Fatalf("%d requests could start after the throttle, want 4", got)
	}
	// Grow back: successes until the limit rises by one.
	before := l.limit()
	for i := 0; l.limit() == before; i++ {
		if i > 100 {
			t.Fatalf("the limit stays at %d after 100 successes", before)
		}
		l.recover()
	}
	if got := l.limit(); got != before+1 {
		t.Fatalf("limit grew from %d to %d, want %d", before, got, before+1)
	}
	if got := tryAcquireAll(l); got != 1 {
		t.Errorf("%d more requests could start after the limit grew by one, want 1", got)
	}
}

// TestRequestBudget_recoverGrowsBackToMax: with successes the limit returns to
// its maximum and no further.
func TestRequestBudget_recoverGrowsBackToMax(t *testing.T) {
	l := newRequestBudget(8)
	l.throttle()
	l.throttle()
	prev := l.limit()
	for range 1000 {
		l.recover()
		if got := l.limit(); got < prev || got > prev+1 {
			t.Fatalf("limit went from %d to %d on one success", prev, got)
		}
		prev = l.limit()
	}
	if prev != 8 {
		t.Errorf("limit %d after 1000 successes, want 8", prev)
	}
	if got := tryAcquireAll(l); got != 8 {
		t.Errorf("%d requests could start, want 8", got)
	}
	unthrottled := newRequestBudget(3)
	unthrottled.recover()
	if got := unthrottled.limit(); got != 3 {
		t.Errorf("an unthrottled budget's limit is %d after a success, want 3", got)
	}
}

func tryAcquireAll(l *requestBudget) int {
	n := 0
	for l.sem.TryAcquire(1) {
		n++
	}
	return n
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
			if got := b.limit(); got != tc.wantLimit {
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
	if got := client.budget.limit(); got != 4 {
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
	if got := transport.budget.sem.TryAcquire(2); got {
		t.Errorf("the budget of one slot had two free after a double Close")
	}
}
