package atlas

import (
	"net/http"
	"strings"

	"github.com/mongodb-forks/digest"
)

// challengeCheck sits under mongodb-forks/digest (v1.1.0, the newest) and
// looks at the 401 to a request sent without credentials before digest
// does. A challenge digest cannot answer becomes a ChallengeError at once:
// digest panics on a part without "=" (such as `Digest realm`), which would
// crash the provider, and answers an algorithm or qop it does not implement
// with an error that a retry only repeats. A 401 without a challenge is
// Atlas's answer: digest would drain its body, so it is read here. Atlas
// challenges with `Digest realm="MMS Public API", nonce="...", algorithm=MD5,
// qop="auth", ...`.
type challengeCheck struct{ next http.RoundTripper }

func (t challengeCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.Header.Get("Authorization") != "" {
		// A 401 to digest's answer is Atlas's verdict, which digest
		// hands back untouched.
		return resp, err
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	switch {
	case challenge == "":
		return nil, apiErrorFromResponse(resp)
	case digestCanAnswer(challenge):
		return resp, nil
	}
	resp.Body.Close()
	return nil, &ChallengeError{Challenge: challenge}
}

// digestCanAnswer reports whether mongodb-forks/digest answers challenge: the
// scheme Digest, then parts separated by ", ", each a key it knows, "=", and
// a value (quoted or not); an algorithm it implements (MD5, the default, or
// SHA-256) and a qop of "auth" alone, or none.
func digestCanAnswer(challenge string) bool {
	const ws = " \n\r\t"
	rest, ok := strings.CutPrefix(strings.Trim(challenge, ws), "Digest ")
	if !ok {
		return false
	}
	for part := range strings.SplitSeq(strings.Trim(rest, ws), ", ") {
		key, value, ok := strings.Cut(part, "=")
		value = strings.Trim(value, `"`)
		switch {
		case !ok:
			return false
		case key == "algorithm" && value != digest.AlgMD5 && value != digest.AlgSha256,
			key == "qop" && value != digest.MsgAuth && value != "":
			return false
		case key != "realm" && key != "domain" && key != "nonce" && key != "opaque" && key != "stale" &&
			key != "algorithm" && key != "qop":
			return false
		}
	}
	return true
}
