package atlas

import (
	"cmp"
	"context"
	"crypto/md5" //nolint:gosec // HTTP Digest as Atlas speaks it is MD5
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mongodb-forks/digest"
)

// mongodb-forks/digest answers every request's challenge with a second
// request: two round trips per page. RFC 7616 lets a client reuse a nonce
// with an increasing nonce count, so the transports below remember nonces
// whose answers the server accepted and send a pre-computed answer (a
// "pre-answer") with the first request. The request still passes through
// digest.Transport: when the server refuses the pre-answer, its 401 carries
// a fresh challenge, which digest answers as it would have answered the
// challenge of an unauthenticated first request. A refused pre-answer thus
// costs no request, but it is a failed authentication in the server's eyes,
// and nothing shows that Atlas accepts a reused nonce. So pre-answers are
// rationed (preAnswers below) so that a server that refuses them sees one,
// and a server that accepts them keeps the saving.
//
// The stack is: preemptiveDigest -> digest.Transport -> challengeRecorder -> transport.

// newDigestTransport returns the key pair's authenticating transport.
// onOff is called once, when pre-answers stop for good.
func newDigestTransport(publicKey, privateKey string, transport http.RoundTripper, onOff func(ctx context.Context, accepted, refused int)) *preemptiveDigest {
	cache := &preAnswers{onOff: onOff}
	return &preemptiveDigest{
		next:     digest.NewTransportWithHTTPRoundTripper(publicKey, privateKey, &challengeRecorder{next: transport, cache: cache}),
		cache:    cache,
		username: publicKey,
		password: privateKey,
	}
}

// preAnswers holds the nonces the server has accepted and decides when a
// request may carry a pre-answer. Its rules, and why:
//
//   - Until a pre-answer has been accepted, one is in flight at a time (a
//     probe), and requests that could pre-answer wait for its outcome
//     instead (a round trip, which digest's exchange would cost them too;
//     at most maxProbeWait, in case the probe's page is slow for reasons
//     of its own). A server that refuses reused nonces thus sees one
//     pre-answer: after its refusal the client uses digest's own exchange
//     for its lifetime.
//   - Once a probe is accepted, requests in flight together share the
//     newest nonce with increasing counts, as RFC 7616 allows. A server
//     may refuse a count that another overtook on the way, or a nonce
//     that expired (Atlas may do either); the client cannot tell which. So
//     the first refusal after an acceptance makes every nonce serve one
//     request at a time from then on (a "lane"): its counts reach the
//     server in the order they were sent, and pages in flight together
//     each learn their own nonce from digest's exchange, which costs what
//     digest alone costs.
//   - After every refusal, pre-answers go one probe at a time again until
//     one is accepted, and the nonces learned before the refused one are
//     forgotten: a server that expires nonces has most likely expired the
//     older ones too. So an expiry costs at most the pre-answers in flight
//     when it comes (one per nonce once nonces serve one request at a
//     time), and the saving resumes with the next nonce digest learns.
type preAnswers struct {
	mu        sync.Mutex
	pending   map[string]challenge // nonce -> challenge awaiting its first accepted answer
	idle      []*lane              // nonces free to use, in the order they were learned
	learned   uint64               // lanes learned so far, numbering them
	accepted  int                  // pre-answers the server accepted
	refused   int                  // pre-answers the server refused
	proven    bool                 // the last pre-answer settled was accepted
	exclusive bool                 // a nonce serves one request at a time
	off       bool                 // the server refused the only probe it was sent
	probe     chan struct{}        // closed when the probe in flight settles; nil when none is
	onOff     func(ctx context.Context, accepted, refused int)
}

type challenge struct{ realm, opaque string }

// lane is a nonce the server accepted, with the last count sent for it.
type lane struct {
	realm, nonce, opaque string
	count                uint32
	order                uint64 // when it was learned: larger is newer
	free                 bool   // in preAnswers.idle
}

// ticket is one pre-answer: the lane and the count it uses.
type ticket struct {
	lane  *lane
	count uint32
	probe bool
}

// maxNonces bounds the challenges awaiting a first answer and the nonces
// remembered (one per page in flight, at most, in each).
const maxNonces = 64

// maxProbeWait bounds how long a request waits for the probe's outcome
// before it uses digest's exchange instead.
const maxProbeWait = time.Second

// offer notes a challenge from a 401 answer.
func (c *preAnswers) offer(header string) {
	params := parseChallengeParams(header)
	// Only MD5 with qop=auth is answered ahead of time; anything else is
	// left to digest.Transport.
	if params["nonce"] == "" || params["qop"] != "auth" || (params["algorithm"] != "" && !strings.EqualFold(params["algorithm"], "MD5")) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return
	}
	if c.pending == nil || len(c.pending) >= maxNonces {
		c.pending = map[string]challenge{}
	}
	c.pending[params["nonce"]] = challenge{realm: params["realm"], opaque: params["opaque"]}
}

// answered notes that the server accepted digest's own answer (count 1) to
// a pending challenge: its nonce becomes a lane.
func (c *preAnswers) answered(nonce, nc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.pending[nonce]
	if !ok || nc != "00000001" || c.off {
		return
	}
	delete(c.pending, nonce)
	c.learned++
	c.putLocked(&lane{realm: ch.realm, nonce: nonce, opaque: ch.opaque, count: 1, order: c.learned})
}

func (c *preAnswers) putLocked(l *lane) {
	if l.free {
		return
	}
	if len(c.idle) >= maxNonces {
		c.idle[0].free = false
		c.idle = slices.Delete(c.idle, 0, 1)
	}
	// Lanes come back out of order; keep them sorted by age.
	i, _ := slices.BinarySearchFunc(c.idle, l.order, func(e *lane, order uint64) int { return cmp.Compare(e.order, order) })
	c.idle = slices.Insert(c.idle, i, l)
	l.free = true
}

// takeLocked returns the newest lane with its next count; an exclusive or
// probing use takes it out of idle until it settles.
func (c *preAnswers) takeLocked(probe bool) ticket {
	l := c.idle[len(c.idle)-1]
	if probe || c.exclusive {
		c.idle = c.idle[:len(c.idle)-1]
		l.free = false
	}
	l.count++
	return ticket{lane: l, count: l.count, probe: probe}
}

// checkout returns the pre-answer req may send, or ok false when it is to
// go without one.
func (c *preAnswers) checkout(ctx context.Context) (t ticket, ok bool) {
	var timeout <-chan time.Time
	for {
		c.mu.Lock()
		probe := c.probe
		switch {
		case c.off:
			c.mu.Unlock()
			return ticket{}, false
		case probe != nil && !c.proven:
			// Wait below, even when the probe holds the only nonce.
		case len(c.idle) == 0:
			c.mu.Unlock()
			return ticket{}, false
		case c.proven:
			t := c.takeLocked(false)
			c.mu.Unlock()
			return t, true
		default:
			c.probe = make(chan struct{})
			t := c.takeLocked(true)
			c.mu.Unlock()
			return t, true
		}
		c.mu.Unlock()
		if timeout == nil {
			timer := time.NewTimer(maxProbeWait)
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case <-probe:
		case <-timeout:
			return ticket{}, false
		case <-ctx.Done():
			return ticket{}, false
		}
	}
}

// settle records the server's answer to a pre-answer: status is that
// answer's, 0 when none came.
func (c *preAnswers) settle(ctx context.Context, t ticket, status int) {
	c.mu.Lock()
	if t.probe {
		close(c.probe)
		c.probe = nil
	}
	turnOff := false
	switch {
	case status == http.StatusUnauthorized:
		c.refused++
		c.proven = false
		if c.accepted == 0 {
			turnOff = !c.off
			c.off = true
			c.idle, c.pending = nil, nil
			break
		}
		c.exclusive = true
		c.idle = slices.DeleteFunc(c.idle, func(e *lane) bool {
			if e.order <= t.lane.order {
				e.free = false
				return true
			}
			return false
		})
	case authenticated(status):
		c.accepted++
		c.proven = true
		c.putLocked(t.lane)
	default:
		// No answer, or one that says nothing about the nonce (a proxy's
		// 502): the count may or may not have reached the server, and
		// the next one is higher either way.
		c.putLocked(t.lane)
	}
	accepted, refused := c.accepted, c.refused
	c.mu.Unlock()
	if turnOff && c.onOff != nil {
		c.onOff(ctx, accepted, refused)
	}
}

// stats returns the pre-answers accepted and refused so far.
func (c *preAnswers) stats() (accepted, refused int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted, c.refused
}

// authenticated reports whether an answer shows that the server took the
// request's credentials.
func authenticated(status int) bool {
	return status >= 200 && status < 400
}

// preAnswerKey marks a request's context with the pre-answer it carries, so
// that challengeRecorder can tell the server's answer to it from the answer
// to digest's own exchange that may follow.
type preAnswerKey struct{}

type preAnswer struct {
	header string
	status int // the server's answer to the request carrying header; 0 until it comes
}

// challengeRecorder watches the exchanges between digest.Transport and the
// server: the challenges it is sent and the answers that are accepted.
type challengeRecorder struct {
	next  http.RoundTripper
	cache *preAnswers
}

func (r *challengeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	auth := req.Header.Get("Authorization")
	if pa, ok := req.Context().Value(preAnswerKey{}).(*preAnswer); ok && auth == pa.header {
		pa.status = resp.StatusCode
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		if h := resp.Header.Get("WWW-Authenticate"); strings.HasPrefix(h, "Digest ") {
			r.cache.offer(h)
		}
	case authenticated(resp.StatusCode) && strings.HasPrefix(auth, "Digest "):
		params := parseChallengeParams(auth)
		r.cache.answered(params["nonce"], params["nc"])
	}
	return resp, nil
}

// preemptiveDigest answers a remembered nonce before the server asks, when
// preAnswers allows it.
type preemptiveDigest struct {
	next               http.RoundTripper
	cache              *preAnswers
	username, password string
}

func (p *preemptiveDigest) RoundTrip(req *http.Request) (*http.Response, error) {
	t, ok := p.cache.checkout(req.Context())
	if !ok {
		return p.next.RoundTrip(req)
	}
	cnonce := make([]byte, 8)
	_, _ = rand.Read(cnonce) // never fails: crypto/rand crashes the program instead
	pa := &preAnswer{header: p.answer(req, t, hex.EncodeToString(cnonce))}
	// RoundTrippers must not modify the caller's request.
	authed := req.Clone(context.WithValue(req.Context(), preAnswerKey{}, pa))
	authed.Header.Set("Authorization", pa.header)
	resp, err := p.next.RoundTrip(authed)
	p.cache.settle(req.Context(), t, pa.status)
	return resp, err
}

// answer is the Authorization header answering t's nonce with its count.
func (p *preemptiveDigest) answer(req *http.Request, t ticket, cnonce string) string {
	l := t.lane
	uri := req.URL.RequestURI()
	nc := fmt.Sprintf("%08x", t.count)
	ha1 := md5Hex(p.username + ":" + l.realm + ":" + p.password)
	ha2 := md5Hex(req.Method + ":" + uri)
	response := md5Hex(strings.Join([]string{ha1, l.nonce, nc, cnonce, "auth", ha2}, ":"))
	header := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q, algorithm=MD5, qop=auth, nc=%s, cnonce=%q`,
		p.username, l.realm, l.nonce, uri, response, nc, cnonce)
	if l.opaque != "" {
		header += fmt.Sprintf(`, opaque=%q`, l.opaque)
	}
	return header
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // the protocol's hash
	return hex.EncodeToString(sum[:])
}

// parseChallengeParams splits a `Digest k="v", k2=v2` header.
func parseChallengeParams(header string) map[string]string {
	params := map[string]string{}
	rest := strings.TrimSpace(strings.TrimPrefix(header, "Digest "))
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		key, after, found := strings.Cut(rest, "=")
		if !found {
			break
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				break
			}
			value, rest = after[1:1+end], after[2+end:]
		} else {
			value, rest, _ = strings.Cut(after, ",")
		}
		params[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(value)
	}
	return params
}
