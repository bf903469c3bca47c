package sandbox

import (
	"crypto/md5" //nolint:gosec // HTTP Digest as Atlas speaks it is MD5
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file authenticates requests: HTTP Digest challenges and answers,
// key budgets, and the service account token endpoint.

// claimedAuth is the kind of credentials a request carries, verified or not:
// "basic" on the token endpoint, "digest", "bearer", or "none".
func claimedAuth(r *http.Request) string {
	header := r.Header.Get("Authorization")
	switch {
	case r.URL.Path == tokenPath:
		return "basic"
	case strings.HasPrefix(header, "Digest "):
		return "digest"
	case strings.HasPrefix(header, "Bearer "):
		return "bearer"
	}
	return "none"
}

// authenticate verifies digest or bearer credentials and returns whose
// they are (as claimedKey names them); otherwise it answers 401 and
// reports false. A digest refusal carries a fresh challenge; a bearer
// token's does not, since a new token, not a digest answer, is the remedy.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rec *Request) (string, bool) {
	header := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(header, "Digest "):
		if user, ok := s.verifyDigest(r, header); ok && s.spendKeyBudget(user) {
			rec.Authenticated = true
			return "key:" + user, true
		}
	case strings.HasPrefix(header, "Bearer "):
		s.mu.Lock()
		issued, ok := s.tokens[strings.TrimPrefix(header, "Bearer ")]
		s.mu.Unlock()
		if ok && time.Now().Before(issued.expiry) {
			rec.Authenticated = true
			return "service account:" + issued.clientID, true
		}
		writeUnauthenticated(w)
		return "", false
	}
	nonce := s.newNonce()
	w.Header().Set("WWW-Authenticate",
		fmt.Sprintf(`Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=false`, Realm, nonce))
	writeUnauthenticated(w)
	return "", false
}

func (s *Server) spendKeyBudget(public string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	budget, limited := s.keyBudget[public]
	if !limited {
		return true
	}
	if budget <= 0 {
		return false
	}
	s.keyBudget[public] = budget - 1
	return true
}

func (s *Server) newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for n, issued := range s.nonces {
		if now.After(issued.expiry) {
			delete(s.nonces, n)
		}
	}
	s.nonces[nonce] = &issuedNonce{expiry: now.Add(s.NonceLifetime), counts: map[string]bool{}}
	return nonce
}

// issuedNonce is a digest nonce the sandbox issued: its expiry, the nonce counts
// answers have used, and the highest of them.
type issuedNonce struct {
	expiry  time.Time
	counts  map[string]bool
	highest uint64
}

// verifyDigest checks an RFC 7616 MD5 qop=auth answer against a nonce this
// server issued, and returns the user name.
func (s *Server) verifyDigest(r *http.Request, header string) (string, bool) {
	p := parseDigestParams(strings.TrimPrefix(header, "Digest "))
	s.mu.Lock()
	defer s.mu.Unlock()
	private, knownKey := s.keys[p["username"]]
	issued, knownNonce := s.nonces[p["nonce"]]
	if !knownKey || !knownNonce || time.Now().After(issued.expiry) || p["realm"] != Realm || p["qop"] != "auth" ||
		p["uri"] != r.URL.RequestURI() || (p["algorithm"] != "" && p["algorithm"] != "MD5") {
		return "", false
	}
	ha1 := md5hex(p["username"] + ":" + Realm + ":" + private)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":"))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) != 1 {
		return "", false
	}
	// A nonce count may serve once per nonce (replay protection, RFC 7616
	// 3.3); with SingleUseNonces the nonce itself serves once.
	if issued.counts[p["nc"]] {
		return "", false
	}
	if s.StrictNonceCounts {
		nc, err := strconv.ParseUint(p["nc"], 16, 32)
		if err != nil || nc <= issued.highest {
			return "", false
		}
		issued.highest = nc
	}
	issued.counts[p["nc"]] = true
	if s.SingleUseNonces {
		delete(s.nonces, p["nonce"])
	}
	return p["username"], true
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // the protocol's hash
	return hex.EncodeToString(sum[:])
}

// parseDigestParams splits `k="v", k2=v2` pairs; values may be quoted. The
// sandbox has its own parser rather than the client's, so that one bug
// cannot hide on both sides of the exchange.
func parseDigestParams(s string) map[string]string {
	params := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,")
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			value, s = rest[1:1+end], rest[2+end:]
		} else {
			value, s, _ = strings.Cut(rest, ",")
		}
		params[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	return params
}

// issuedToken is an access token's service account and expiry.
type issuedToken struct {
	clientID string
	expiry   time.Time
}

// tokenPath is the service account token endpoint.
const tokenPath = "/api/oauth/token" //nolint:gosec // G101: a path, not a credential

// serveToken is POST /api/oauth/token: client credentials in HTTP Basic,
// grant_type=client_credentials in the form, which ServeHTTP has read
// (formErr is what reading it returned).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, formErr error) {
	if r.Method != http.MethodPost {
		// Atlas's answer to another method is not on record: a plain 405,
		// without an error code the sandbox would have to make up.
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Use POST.", http.StatusMethodNotAllowed)
		return
	}
	if s.applyFault(w, r, route{}) {
		return
	}
	id, secret, ok := r.BasicAuth()
	s.mu.Lock()
	want, known := s.serviceAccounts[id]
	s.mu.Unlock()
	if !ok || !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, "application/json",
			map[string]string{"error": "invalid_client", "error_description": "Invalid client credentials."})
		return
	}
	if formErr != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, "application/json",
			map[string]string{"error": "unsupported_grant_type", "error_description": "Use grant_type=client_credentials."})
		return
	}
	token, lifetime := s.issueToken(id)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime.Seconds()),
	})
}

// ExpireTokens ends every access token issued so far, as their lifetime
// would: Atlas then refuses them with 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, issued := range s.tokens {
		issued.expiry = time.Now()
		s.tokens[token] = issued
	}
}

// IssueAccessToken issues an access token of a service account, as the token
// endpoint does, without a request: a ready token for clients configured
// with one. It lasts TokenLifetime.
func (s *Server) IssueAccessToken(clientID string) string {
	token, _ := s.issueToken(clientID)
	return token
}

func (s *Server) issueToken(clientID string) (string, time.Duration) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = issuedToken{clientID: clientID, expiry: time.Now().Add(s.TokenLifetime)}
	return token, s.TokenLifetime
}
