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
// challenge and send a pre-computed answer with the first request. The
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

// challengeCache holds the last digest challenge a server sent.
type challengeCache struct {
	mu        sync.Mutex
	realm     string
	nonce     string
	opaque    string
	nonceUses uint32
}

func (c *challengeCache) store(header string) {
	params := parseChallengeParams(header)
	// Only MD5 with qop=auth is answered ahead of time; anything else is
	// left to digest.Transport.
	if params["nonce"] == "" || params["qop"] != "auth" || (params["algorithm"] != "" && !strings.EqualFold(params["algorithm"], "MD5")) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if params["nonce"] != c.nonce {
		// digest.Transport answers a new challenge with nonce count 1.
		c.realm, c.nonce, c.opaque, c.nonceUses = params["realm"], params["nonce"], params["opaque"], 1
	}
}

// next returns the cached challenge with a fresh nonce count, or ok false.
func (c *challengeCache) next() (realm, nonce, opaque string, nc uint32, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nonce == "" {
		return "", "", "", 0, false
	}
	c.nonceUses++
	return c.realm, c.nonce, c.opaque, c.nonceUses, true
}

// challengeRecorder remembers the challenges that pass on their way to
// digest.Transport.
type challengeRecorder struct {
	next  http.RoundTripper
	cache *challengeCache
}

func (r *challengeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if h := resp.Header.Get("WWW-Authenticate"); strings.HasPrefix(h, "Digest ") {
			r.cache.store(h)
		}
	}
	return resp, err
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
