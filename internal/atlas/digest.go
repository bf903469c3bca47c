package atlas

import (
	"crypto/md5" //nolint:gosec // HTTP Digest as Atlas speaks it is MD5
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/mongodb-forks/digest"
)

// mongodb-forks/digest answers every request's challenge with a second
// request: two round trips per page. RFC 7616 lets a client reuse a nonce
// with an increasing nonce count, so the transports below remember the last
// challenge whose answer the server accepted, and send a pre-computed answer
// with the first request. The
// request still passes through digest.Transport: when the server no longer
// accepts the nonce it answers 401 with a fresh challenge, which digest
// answers as before, so a stale nonce costs exactly what no cache would.
//
// The stack is: preemptiveDigest -> digest.Transport -> challengeRecorder -> transport.

// newDigestTransport returns the key pair's authenticating transport.
func newDigestTransport(publicKey, privateKey string, transport http.RoundTripper) http.RoundTripper {
	cache := &challengeCache{}
	return &preemptiveDigest{
		next:     digest.NewTransportWithHTTPRoundTripper(publicKey, privateKey, &challengeRecorder{next: transport, cache: cache}),
		cache:    cache,
		username: publicKey,
		password: privateKey,
	}
}

// challengeCache holds the last digest challenge a server sent. A new
// challenge stays pending until digest.Transport's own answer to it (nonce
// count 1) has been accepted: only then do other requests use the nonce, with
// counts 2, 3 and on, so that a server insisting on increasing counts never
// sees a later count before the first.
type challengeCache struct {
	mu        sync.Mutex
	realm     string
	nonce     string
	opaque    string
	nonceUses uint32
	pending   map[string]challenge // nonce -> challenge awaiting its first accepted answer
}

type challenge struct{ realm, opaque string }

// maxPendingChallenges bounds the challenges remembered while their first
// answers are in flight (one per page in flight, at most).
const maxPendingChallenges = 64

// offer notes a challenge from a 401 answer.
func (c *challengeCache) offer(header string) {
	params := parseChallengeParams(header)
	// Only MD5 with qop=auth is answered ahead of time; anything else is
	// left to digest.Transport.
	if params["nonce"] == "" || params["qop"] != "auth" || (params["algorithm"] != "" && !strings.EqualFold(params["algorithm"], "MD5")) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil || len(c.pending) >= maxPendingChallenges {
		c.pending = map[string]challenge{}
	}
	c.pending[params["nonce"]] = challenge{realm: params["realm"], opaque: params["opaque"]}
}

// accepted notes that the server accepted an answer with this nonce and
// count; the first accepted answer to a pending challenge makes it current.
func (c *challengeCache) accepted(nonce, nc string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.pending[nonce]
	if !ok || nc != "00000001" {
		return
	}
	delete(c.pending, nonce)
	c.realm, c.nonce, c.opaque, c.nonceUses = ch.realm, nonce, ch.opaque, 1
}

// next returns the current challenge with a fresh nonce count, or ok false.
func (c *challengeCache) next() (realm, nonce, opaque string, nc uint32, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nonce == "" {
		return "", "", "", 0, false
	}
	c.nonceUses++
	return c.realm, c.nonce, c.opaque, c.nonceUses, true
}

// challengeRecorder watches the exchanges between digest.Transport and the
// server: the challenges it is sent and the answers that are accepted.
type challengeRecorder struct {
	next  http.RoundTripper
	cache *challengeCache
}

func (r *challengeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		if h := resp.Header.Get("WWW-Authenticate"); strings.HasPrefix(h, "Digest ") {
			r.cache.offer(h)
		}
		return resp, nil
	}
	if auth := req.Header.Get("Authorization"); strings.HasPrefix(auth, "Digest ") {
		params := parseChallengeParams(auth)
		r.cache.accepted(params["nonce"], params["nc"])
	}
	return resp, nil
}

// preemptiveDigest answers the cached challenge before it is asked.
type preemptiveDigest struct {
	next               http.RoundTripper
	cache              *challengeCache
	username, password string
}

func (p *preemptiveDigest) RoundTrip(req *http.Request) (*http.Response, error) {
	realm, nonce, opaque, nc, ok := p.cache.next()
	if !ok {
		return p.next.RoundTrip(req)
	}
	cnonce := make([]byte, 8)
	if _, err := rand.Read(cnonce); err != nil {
		return p.next.RoundTrip(req)
	}
	uri := req.URL.RequestURI()
	ncText := fmt.Sprintf("%08x", nc)
	cnonceText := hex.EncodeToString(cnonce)
	ha1 := md5Hex(p.username + ":" + realm + ":" + p.password)
	ha2 := md5Hex(req.Method + ":" + uri)
	response := md5Hex(strings.Join([]string{ha1, nonce, ncText, cnonceText, "auth", ha2}, ":"))
	header := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q, algorithm=MD5, qop=auth, nc=%s, cnonce=%q`,
		p.username, realm, nonce, uri, response, ncText, cnonceText)
	if opaque != "" {
		header += fmt.Sprintf(`, opaque=%q`, opaque)
	}
	// RoundTrippers must not modify the caller's request.
	authed := req.Clone(req.Context())
	authed.Header.Set("Authorization", header)
	return p.next.RoundTrip(authed)
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
