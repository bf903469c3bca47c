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
//   - A nonce serves one request at a time (a "lane"): its counts reach the
//     server in the order they were sent, so a server that refuses a count
//     below one it has seen (RFC 7616's replay check) never refuses one for
//     being overtaken. Pages in flight together each learn their own nonce
//     from digest's exchange, which costs what digest alone costs.
//   - A pre-answer is sent only while refused+inFlight <= accepted, so the
//     refused pre-answers never exceed the accepted ones plus one, whatever
//     the server does. Against a server that refuses reused nonces, the
//     first pre-answer is the only one: after its refusal the client uses
//     digest's own exchange for its lifetime.
//   - Until a pre-answer has been accepted, and again after every refusal,
//     one pre-answer is in flight at a time (a probe), so that pages in
//     flight never send a batch of answers the server may refuse together.
//   - A refusal also forgets the nonces learned before the refused one: a
//     server that accepts reuse but expires nonces (as Atlas may) has most
//     likely expired the older ones too. So each expiry costs at most the
//     pre-answers in flight when it comes, and the saving resumes with the
//     next nonce digest learns.
type preAnswers struct {
	mu       sync.Mutex
	pending  map[string]challenge // nonce -> challenge awaiting its first accepted answer
	idle     []*lane              // nonces not in use, in the order they were learned
	learned  uint64               // lanes learned so far, numbering them
	accepted int                  // pre-answers the server accepted
	refused  int                  // pre-answers the server refused
	inFlight int                  // pre-answers awaiting an answer
	proven   bool                 // the last pre-answer settled was accepted
	off      bool                 // refused > accepted: no pre-answer ever again
	onOff    func(ctx context.Context, accepted, refused int)
}

type challenge struct{ realm, opaque string }

// lane is a nonce the server accepted, with the last count sent for it.
type lane struct {
	realm, nonce, opaque string
	count                uint32
	order                uint64 // when it was learned: larger is newer
}

// maxNonces bounds the challenges awaiting a first answer and the nonces
// remembered (one per page in flight, at most, in each).
const maxNonces = 64

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
	if len(c.idle) >= maxNonces {
		c.idle = slices.Delete(c.idle, 0, 1)
	}
	// Lanes come back out of order; keep them sorted by age.
	i, _ := slices.BinarySearchFunc(c.idle, l.order, func(e *lane, order uint64) int { return cmp.Compare(e.order, order) })
	c.idle = slices.Insert(c.idle, i, l)
}

// checkout returns the newest idle lane with its next count, or nil when
// the request is to go without a pre-answer.
func (c *preAnswers) checkout() *lane {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off || len(c.idle) == 0 || c.refused+c.inFlight > c.accepted || (!c.proven && c.inFlight > 0) {
		return nil
	}
	l := c.idle[len(c.idle)-1]
	c.idle = c.idle[:len(c.idle)-1]
	l.count++
	c.inFlight++
	return l
}

// settle records the server's answer to a pre-answer sent on l: status is
// that answer's, 0 when none came.
func (c *preAnswers) settle(ctx context.Context, l *lane, status int) {
	c.mu.Lock()
	c.inFlight--
	switch {
	case status == http.StatusUnauthorized:
		c.refused++
		c.proven = false
		c.idle = slices.DeleteFunc(c.idle, func(e *lane) bool { return e.order < l.order })
	case authenticated(status):
		c.accepted++
		c.proven = true
		c.putLocked(l)
	default:
		// No answer, or one that says nothing about the nonce (a proxy's
		// 502): the count may or may not have reached the server, and
		// the next one is higher either way.
		c.putLocked(l)
	}
	turnOff := !c.off && c.refused > c.accepted
	if turnOff {
		c.off = true
		c.idle, c.pending = nil, nil
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
	l := p.cache.checkout()
	if l == nil {
		return p.next.RoundTrip(req)
	}
	cnonce := make([]byte, 8)
	_, _ = rand.Read(cnonce) // never fails: crypto/rand crashes the program instead
	pa := &preAnswer{header: p.answer(req, l, hex.EncodeToString(cnonce))}
	// RoundTrippers must not modify the caller's request.
	authed := req.Clone(context.WithValue(req.Context(), preAnswerKey{}, pa))
	authed.Header.Set("Authorization", pa.header)
	resp, err := p.next.RoundTrip(authed)
	p.cache.settle(req.Context(), l, pa.status)
	return resp, err
}

// answer is the Authorization header answering l's nonce with its count.
func (p *preemptiveDigest) answer(req *http.Request, l *lane, cnonce string) string {
	uri := req.URL.RequestURI()
	nc := fmt.Sprintf("%08x", l.count)
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
