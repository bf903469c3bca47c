package atlas

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// A Client has one request budget, shared by every read: Terraform runs many
// reads of one provider configuration at once, and Atlas limits a key (or
// service account) as a whole. It sits at the bottom of the transport stack,
// below digest, so every HTTP request is counted once: pages, jobs, buckets,
// digest challenges, the token request. Nothing holds a slot while asking
// for another (digest closes the challenge's answer before answering it; the
// token is fetched before the attempts that need it). Atlas's RateLimit-*
// headers are not used: BENCHMARKS.md says why.

// budgetTransport holds a slot for each request until its response body is
// closed (Atlas is still sending it), and tells the budget how Atlas answered.
type budgetTransport struct {
	next   http.RoundTripper
	budget *requestBudget
}

func (t *budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The wait is part of the attempt (request_timeout) and ends with the
	// request's context: a request that cannot start in time is retried
	// like one Atlas did not answer in time.
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

// requestBudget bounds the requests in flight. A 429 halves the bound at
// once (new requests wait while the lowered bound is reached, idle slots or
// not), and it grows back by one per round of successful answers: Atlas's
// rate limits are token buckets, and hammering an empty one only earns more
// 429s.
type requestBudget struct {
	mu        sync.Mutex
	max       int
	limit     int // requests allowed in flight now, 1 to max
	inFlight  int
	successes int           // answers since the bound last grew
	freed     chan struct{} // closed (and replaced) when a waiter may start
}

func newRequestBudget(n int) *requestBudget {
	return &requestBudget{max: n, limit: n, freed: make(chan struct{})}
}

// acquire waits until a request may start, or until ctx ends.
func (b *requestBudget) acquire(ctx context.Context) error {
	for {
		freed, ok := b.tryAcquire()
		if ok {
			return nil
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryAcquire starts a request if the bound allows one now; if not, it
// returns a channel closed when that may have changed.
func (b *requestBudget) tryAcquire() (freed <-chan struct{}, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight < b.limit {
		b.inFlight++
		return nil, true
	}
	return b.freed, false
}

func (b *requestBudget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight--
	b.wakeLocked()
}

// wakeLocked lets every waiter look again.
func (b *requestBudget) wakeLocked() {
	close(b.freed)
	b.freed = make(chan struct{})
}

// observe notes an answer: 429 halves the bound; any other answer but a
// server failure counts towards growing it back by one after as many
// successes as it allows (once per "round"), so that the requests already in
// flight do not undo a halving at once.
func (b *requestBudget) observe(status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests:
		b.limit = max(b.limit/2, 1)
		b.successes = 0
	case status < http.StatusInternalServerError && b.limit < b.max:
		if b.successes++; b.successes >= b.limit {
			b.successes = 0
			b.limit++
			b.wakeLocked()
		}
	}
}
