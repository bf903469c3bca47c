package atlas

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"golang.org/x/sync/semaphore"
)

// A Client has one request budget, shared by every read that goes through
// it: Terraform runs many reads of one provider configuration at once, and
// Atlas limits a key (or service account) as a whole, not a read. The
// budget sits at the bottom of the transport stack, below digest and
// OAuth, so that every HTTP request the client sends is counted once,
// whatever sends it: pages, single jobs, digest challenges and the service
// account's token request. Nothing above it holds a slot while asking for
// another (digest closes the challenge's answer before it answers it, and
// the token is fetched before the request that needs it goes down), so
// slots are never acquired in a nested way.
//
// Atlas's RateLimit-Limit and RateLimit-Remaining headers are not used:
// BENCHMARKS.md says why.

// budgetTransport takes a slot of the budget for each request, from before
// it is sent until its response body is closed (reading the body is part of
// the request: Atlas is still sending it), and tells the budget how Atlas
// answered.
type budgetTransport struct {
	next   http.RoundTripper
	budget *requestBudget
}

func (t *budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The wait for a slot honours the request's context: a read that is
	// cancelled, or whose attempt times out, stops waiting. The wait is part
	// of the attempt (request_timeout), so a request that cannot even start
	// within it is retried like one Atlas did not answer in time.
	if err := t.budget.acquire(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		return nil, fmt.Errorf("waiting for one of the %d request slots (max_concurrent_requests): %w", t.budget.max, err)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.budget.release()
		return nil, err
	}
	t.budget.observe(resp.StatusCode)
	resp.Body = &budgetedBody{ReadCloser: resp.Body, release: t.budget.release}
	return resp, nil
}

// budgetedBody gives the request's slot back when the body is closed, once.
type budgetedBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *budgetedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// requestBudget bounds the requests in flight and halves the bound when
// Atlas answers 429, then lets it grow back by one per round of successful
// answers: Atlas's rate limits are token buckets, and hammering an empty
// bucket with every request in flight retrying only earns more 429s.
type requestBudget struct {
	sem *semaphore.Weighted
	mu  sync.Mutex
	max int
	// held is capacity taken out of service; owed is capacity still to take
	// out as soon as a request in flight releases it.
	held, owed int
	// successes counts answers since the bound last grew.
	successes int
}

func newRequestBudget(n int) *requestBudget {
	return &requestBudget{sem: semaphore.NewWeighted(int64(n)), max: n}
}

func (b *requestBudget) acquire(ctx context.Context) error { return b.sem.Acquire(ctx, 1) }

func (b *requestBudget) release() {
	b.mu.Lock()
	if b.owed > 0 {
		b.owed--
		b.held++
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	b.sem.Release(1)
}

// observe notes an answer: 429 halves the bound, anything else that is not
// a server failure counts towards growing it back.
func (b *requestBudget) observe(status int) {
	switch {
	case status == http.StatusTooManyRequests:
		b.throttle()
	case status < http.StatusInternalServerError:
		b.recover()
	}
}

func (b *requestBudget) throttle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if effective := b.max - b.held - b.owed; effective > 1 {
		b.owed += effective - effective/2
	}
	b.successes = 0
}

// recover notes a successful answer. The bound grows back by one after as
// many successes as it currently allows (additive increase, once per
// "round"), so that the successes of requests already in flight do not undo
// a halving at once.
func (b *requestBudget) recover() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+b.owed == 0 {
		return
	}
	b.successes++
	if b.successes < b.max-b.held-b.owed {
		return
	}
	b.successes = 0
	switch {
	case b.owed > 0:
		b.owed--
	case b.held > 0:
		b.held--
		b.sem.Release(1)
	}
}

// limit is the number of requests currently allowed in flight.
func (b *requestBudget) limit() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.max - b.held - b.owed
}
