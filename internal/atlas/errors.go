package atlas

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// snippetLength is how much of an unexpected body an error quotes: enough to
// recognise a proxy's HTML page or a truncated document, short enough for a
// diagnostic.
const snippetLength = 200

// APIError is an error answer from Atlas, decoded from its envelope
// ({error, errorCode, detail, reason}) when the body has one.
type APIError struct {
	// StatusCode is the HTTP status of the last answer.
	StatusCode int
	// ErrorCode is Atlas's application error code, such as CLUSTER_NOT_FOUND.
	ErrorCode string
	// Detail is Atlas's human-readable description of the error.
	Detail string
	// Reason is the HTTP reason phrase Atlas put in the envelope.
	Reason string
	// ContentType and BodySnippet are set when the body was not Atlas's JSON
	// envelope (a proxy's HTML page, for example).
	ContentType string
	BodySnippet string
	// Attempts is the number of attempts made, retries included.
	Attempts int
	// hint replaces the advice for the status where the operation (or the
	// kind of credentials) knows better.
	hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Atlas answered HTTP %d", e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, " (errorCode %s)", e.ErrorCode)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.ErrorCode == "" && e.Detail == "" {
		fmt.Fprintf(&b, " with a body that is not Atlas's error JSON (content type %q, first %d characters: %q)",
			e.ContentType, snippetLength, e.BodySnippet)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Hint says what a user can do about the error, or "" when there is nothing
// specific to say.
func (e *APIError) Hint() string {
	if e.hint != "" {
		return e.hint
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return "Atlas did not accept the credentials. Check that the API key or service account exists, has not " +
			"been deleted or expired, and belongs to the organization of this project, and that the provider reads " +
			"the credentials you mean: the provider block when it sets any credential attribute, otherwise the " +
			"MONGODB_ATLAS_* environment variables, never a mix."
	case http.StatusForbidden:
		if e.ErrorCode == ErrorCodeIPNotOnAccessList {
			return accessListHint
		}
		return "The credentials need the Project Backup Manager role (or higher) on this project, and the " +
			"caller's IP address may be missing from their API access list."
	case http.StatusNotFound:
		return "The project or cluster does not exist, or is not visible to the credentials in use. Check " +
			"project_id and cluster_name, and that the API key or service account has access to the project."
	case http.StatusTooManyRequests:
		return "Atlas kept rate-limiting the requests. Retry later, raise max_retries, or lower " +
			"max_concurrent_requests."
	case http.StatusBadRequest:
		return "Atlas rejected the request. This is likely a provider bug; please report it with the detail above."
	}
	if e.StatusCode >= 500 {
		return "Atlas or a proxy in front of it failed. Retry later, or raise max_retries."
	}
	return ""
}

// ErrorCodeIPNotOnAccessList is Atlas's errorCode for a request from an
// address that the credentials' API access list does not allow.
const ErrorCodeIPNotOnAccessList = "IP_ADDRESS_NOT_ON_ACCESS_LIST"

// accessListHint is the advice for ErrorCodeIPNotOnAccessList, whatever the
// operation: no role helps until the address is allowed.
const accessListHint = "Atlas refused the address this request came from (Atlas's detail above names it). Add it " +
	"to the API access list of the API key or service account in use (Atlas UI: Organization Access Manager, " +
	"Applications, the key or service account, Access List), or run Terraform from an address on the list."

// TimeoutError is an attempt that got no complete answer within its time
// limit (request_timeout).
type TimeoutError struct {
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within request_timeout (%v)", e.Timeout)
}

// Hint implements the same contract as APIError.Hint.
func (e *TimeoutError) Hint() string {
	return "Atlas, or something between Terraform and Atlas, did not answer in time. Check the network path " +
		"(base_url, a proxy, a firewall); on a slow network, raise request_timeout. The time includes the wait " +
		"for a free request slot (max_concurrent_requests) while other requests are slow."
}

// ChallengeError is a 401 whose WWW-Authenticate challenge is not HTTP
// Digest as Atlas sends it, so that an API key cannot answer it. Asking again
// earns the same challenge, so it is not retried.
type ChallengeError struct {
	Challenge string
}

func (e *ChallengeError) Error() string {
	return fmt.Sprintf("the answer was HTTP 401 with a WWW-Authenticate challenge that is not Atlas's HTTP Digest "+
		"challenge (first %d characters: %q)", snippetLength, snippet([]byte(e.Challenge)))
}

// Hint implements the same contract as APIError.Hint.
func (e *ChallengeError) Hint() string {
	return "Something other than Atlas answered: a proxy between Terraform and Atlas, or another server at " +
		"base_url, asked for credentials an Atlas API key cannot give. Check base_url and the network path " +
		"(HTTPS_PROXY)."
}

// apiAnswer is Atlas's answer to the API request behind err, if err has
// one: not the service account token request's, whose answer says nothing of
// the resource asked for (and may be shared by several reads that waited for
// it, so it must not be given their advice).
func apiAnswer(err error) (*APIError, bool) {
	if _, ok := errors.AsType[*TokenError](err); ok {
		return nil, false
	}
	return errors.AsType[*APIError](err)
}

// requestFailed names the request err belongs to, unless err is the service
// account token's, which names its own request: the API request that waited
// for the token was never sent.
func requestFailed(err error, format string, args ...any) error {
	if _, ok := errors.AsType[*TokenError](err); ok {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ResponseBodyError is a successful answer whose body is not the JSON it
// should be: HTML from a proxy, a truncated document or a wrong content type.
type ResponseBodyError struct {
	StatusCode  int
	ContentType string
	BodySnippet string
	Err         error
	Attempts    int
}

func (e *ResponseBodyError) Error() string {
	msg := fmt.Sprintf("Atlas answered HTTP %d with a body that is not the expected JSON (content type %q, first %d characters: %q): %v",
		e.StatusCode, e.ContentType, snippetLength, e.BodySnippet, e.Err)
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

func (e *ResponseBodyError) Unwrap() error { return e.Err }

// Hint implements the same contract as APIError.Hint.
func (e *ResponseBodyError) Hint() string {
	return "Something between Terraform and Atlas (a proxy, a firewall or a captive portal) may be answering " +
		"instead of Atlas; check base_url and the network path. If it persists, raise max_retries or report it."
}

// Hint returns the advice attached to err, if any error in its chain has one.
func Hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// StatusCode returns the HTTP status of the Atlas answer behind err, or 0.
func StatusCode(err error) int {
	if e, ok := errors.AsType[*APIError](err); ok {
		return e.StatusCode
	}
	if e, ok := errors.AsType[*ResponseBodyError](err); ok {
		return e.StatusCode
	}
	return 0
}

// ErrorCode returns Atlas's errorCode behind err (such as CLUSTER_NOT_FOUND),
// or "".
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*APIError](err); ok {
		return e.ErrorCode
	}
	return ""
}

// apiErrorFromResponse reads an error answer and closes its body.
func apiErrorFromResponse(resp *http.Response) *APIError {
	defer resp.Body.Close()
	apiErr := &APIError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	// Error envelopes are small; a bounded read keeps a misbehaving proxy from
	// making us buffer an arbitrary page.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var envelope struct {
		ErrorCode string `json:"errorCode"`
		Detail    string `json:"detail"`
		Reason    string `json:"reason"`
		// "error" is the status in Atlas's envelope, and a code such as
		// invalid_client in OAuth 2.0's error answer (RFC 6749, 5.2), which
		// the token endpoint may give instead.
		Error            any    `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if isJSON(apiErr.ContentType) && json.Unmarshal(body, &envelope) == nil {
		if code, ok := envelope.Error.(string); ok && envelope.ErrorCode == "" {
			envelope.ErrorCode, envelope.Detail = code, envelope.ErrorDescription
		}
		if envelope.ErrorCode != "" || envelope.Detail != "" {
			apiErr.ErrorCode, apiErr.Detail, apiErr.Reason = envelope.ErrorCode, envelope.Detail, envelope.Reason
			return apiErr
		}
	}
	apiErr.BodySnippet = snippet(body)
	return apiErr
}

func isJSON(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(strings.ToLower(mediaType))
	return mediaType == "application/json" || (strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"))
}

// snippet returns at most snippetLength characters of body, cut on a rune
// boundary.
func snippet(body []byte) string {
	n := 0
	for i := range string(body) {
		if n == snippetLength {
			return string(body[:i])
		}
		n++
	}
	return string(body)
}
