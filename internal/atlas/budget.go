package atlas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// A Client has one request budget, shared by every read: Terraform runs many
// reads of one provider configuration at once, and Atlas limits a key (or
// service account) as a whole. Each attempt takes a slot under its caller's
// context before its request_timeout starts, so that a request that waited
// for a slot is neither "no answer within request_timeout" nor a retry
// spent, and holds it until its body is closed: both round trips of a digest
// answer, or one token request. Nothing holds a slot while asking for
// another (the token is fetched before the attempts that need it). Atlas's
// RateLimit-* headers are not used: BENCHMARKS.md says why.

// attemptTransport bounds each attempt: a slot of the budget, then
// request_timeout for the answer and its body.
type attemptTransport struct {
	next    http.RoundTripper
	budget  *requestBudget
	timeout time.Duration
}

// errAttemptTimeout is the cause of an attempt's context that ran out of
// request_timeout, as opposed to its caller's that ended.
var errAttemptTimeout = errors.New("request_timeout")

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	round, err := t.budget.acquire(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		return nil, fmt.Errorf("waiting for one of the %d request slots: %w", t.budget.max, err)
	}
	ctx, cancel := context.WithTimeoutCause(req.Context(), t.timeout, errAttemptTimeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		err = t.timedOut(ctx, err)
		cancel()
		t.budget.release()
		return nil, err
	}
	t.budget.observe(round, resp.StatusCode)
	resp.Body = &attemptBody{ReadCloser: resp.Body, t: t, ctx: ctx, done: func() { cancel(); t.budget.release() }}
	return resp, nil
}

// timedOut is err, or a TimeoutError when the attempt ran out of its time:
// net/http's own error would match context.DeadlineExceeded and pass for the
// caller's deadline.
func (t *attemptTransport) timedOut(ctx context.Context, err error) error {
	if context.Cause(ctx) == errAttemptTimeout { //nolint:errorlint // the cause is this very value
		return &TimeoutError{Timeout: t.timeout}
	}
	return err
}

// attemptBody gives the attempt's slot back when the body is closed, once.
type attemptBody struct {
	io.ReadCloser
	t    *attemptTransport
	ctx  context.Context
	once sync.Once
	done func()
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF { //nolint:errorlint // io.EOF is returned as it is
		err = b.t.timedOut(b.ctx, err)
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// requestBudget bounds the requests in flight, served in the order they
// asked (semaphore.Weighted is FIFO). A 429 halves the bound at once (the
// slots it takes away are held back as they come free), once for a burst:
// the 429s to requests sent before the bound was lowered say nothing new.
// It grows back by one per round of authenticated answers: Atlas's rate
// limits are token buckets, and hammering an empty one only earns more 429s.
type requestBudget struct {
	slots *semaphore.Weighted
	max   int

	mu        sync.Mutex
	limit     int // requests allowed in flight now, 1 to max
	debt      int // slots to hold back as they come free
	round     int // bumped each time the bound is lowered
	successes int // answers since the bound last grew
}

func newRequestBudget(n int) *requestBudget {
	return &requestBudget{slots: semaphore.NewWeighted(int64(n)), max: n, limit: n}
}

// acquire waits for a slot, or until ctx ends; round is the bound's round
// the request is sent in.
func (b *requestBudget) acquire(ctx context.Context) (round int, err error) {
	if err := b.slots.Acquire(ctx, 1); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.round, nil
}

func (b *requestBudget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.debt > 0 {
		b.debt--
		return
	}
	b.slots.Release(1)
}

// observe notes the answer to a request sent in round: the first 429 of a
// round halves the bound; an authenticated answer other than a server
// failure counts towards growing it back by one after as many as it allows,
// so that the requests already in flight do not undo a halving at once.
func (b *requestBudget) observe(round, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests && round == b.round:
		lower := b.limit - max(b.limit/2, 1)
		b.limit -= lower
		b.round++
		b.successes = 0
		for lower > 0 && b.slots.TryAcquire(1) {
			lower--
		}
		b.debt += lower
	case status == http.StatusTooManyRequests, status == http.StatusUnauthorized, status >= http.StatusInternalServerError:
	case b.limit < b.max:
		if b.successes++; b.successes >= b.limit {
			b.successes = 0
			b.limit++
			if b.debt > 0 {
				b.debt--
			} else {
				b.slots.Release(1)
			}
		}
	}
}
