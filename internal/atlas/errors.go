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

// snippetLength is how much of an unexpected body an error quotes.
const snippetLength = 200

// APIError is an error answer from Atlas, decoded from its envelope
// ({error, errorCode, detail, reason}) when the body has one.
type APIError struct {
	// StatusCode is the HTTP status of the last answer; ErrorCode, Detail
	// and Reason are Atlas's envelope's.
	StatusCode                int
	ErrorCode, Detail, Reason string
	// ContentType and BodySnippet are set when the body was not Atlas's JSON
	// envelope (a proxy's HTML page, for example).
	ContentType string
	BodySnippet string
	// Attempts is the number of attempts made, retries included.
	Attempts int
	// Operation is the API operation Atlas answered ("" for the token
	// request), and Credentials the kind of credentials it was sent with:
	// what the advice for an answer depends on besides its status.
	Operation   Operation
	Credentials Credentials
}

// Operation is an Atlas Admin API operation, by the contract's operationId.
type Operation string

// The operations the client sends.
const (
	OpListExportJobs  Operation = "listGroupClusterBackupExports"
	OpGetExportJob    Operation = "getGroupClusterBackupExport"
	OpGetExportBucket Operation = "getGroupBackupExportBucket"
)

// Credentials is the kind of credentials a Client sends.
type Credentials string

// The kinds of credentials.
const (
	CredentialsKeyPair        Credentials = "api key"
	CredentialsServiceAccount Credentials = "service account"
	CredentialsAccessToken    Credentials = "access token"
)

// LacksAccess reports whether Atlas knows the credentials but refuses them
// this operation: a 401 with one of the errorCodes Atlas's table lists for
// a user without the role or the project (a valid key lacking a role gets
// USER_UNAUTHORIZED). A new token does not change that answer.
func (e *APIError) LacksAccess() bool {
	switch e.ErrorCode {
	case "USER_UNAUTHORIZED", "NOT_IN_GROUP", "USER_CANNOT_ACCESS_GROUP":
		return e.StatusCode == http.StatusUnauthorized
	}
	return false
}

// withOperation notes in the API answer behind err (not a token request's)
// which operation it answered.
func withOperation(err error, op Operation) error {
	if apiErr, ok := apiAnswer(err); ok {
		apiErr.Operation = op
	}
	return err
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

// TimeoutError is an attempt that got no complete answer within its time
// limit (request_timeout).
type TimeoutError struct {
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within request_timeout (%v)", e.Timeout)
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
