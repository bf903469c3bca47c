package atlas

import (
	"context"
	"net/http"
	"testing"
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
	for status, tc := range cases {
		t.Run(http.StatusText(status), func(t *testing.T) {
			retry, err := checkRetry(context.Background(), &http.Response{StatusCode: status}, nil)
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
