// Package atlas is a small client for the MongoDB Atlas Admin API's Cloud
// Backup snapshot export jobs. It owns HTTP, authentication (HTTP Digest API
// keys, OAuth 2.0 service accounts or a ready access token), paging, retries
// and Atlas's error envelope, and has no Terraform imports: the provider only
// maps its results.
package atlas

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/mongodb-forks/digest"
)

// API versions the client speaks.
const (
	APIVersionV2 = "v2"
	APIVersionV1 = "v1.0"
)

// Defaults, exported so that the provider documents the same numbers it uses.
const (
	DefaultBaseURL               = "https://cloud.mongodb.com"
	DefaultMaxRetries            = 4
	DefaultRequestTimeout        = 60 * time.Second
	DefaultMaxConcurrentRequests = 8
	// MaxItemsPerPage is the API's maximum page size; fewer pages mean fewer
	// round trips, and each costs two with HTTP Digest.
	MaxItemsPerPage = 500
	// MediaTypeV2 is the only versioned media type the export job operations have.
	MediaTypeV2 = "application/vnd.atlas.2023-01-01+json"
	// MediaTypeV1 is what the deprecated v1.0 API speaks.
	MediaTypeV1 = "application/json"
)

// Logger receives the client's diagnostics. The provider adapts it to tflog
// (which masks secrets); a nil Logger discards everything. The client never
// passes credentials or headers to it.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client. Zero values take the defaults above, except
// MaxRetries.
type Config struct {
	BaseURL string
	// PublicKey and PrivateKey are an Atlas programmatic API key (HTTP Digest).
	PublicKey  string
	PrivateKey string
	// ClientID and ClientSecret are an Atlas service account (OAuth 2.0 client
	// credentials).
	ClientID     string
	ClientSecret string
	// AccessToken is a ready bearer token, sent as it is and never renewed.
	// Set exactly one kind of credentials: which kind wins when a user gives
	// several is the provider's rule, not the client's.
	AccessToken string
	// APIVersion is APIVersionV2 (default) or APIVersionV1.
	APIVersion string
	// MaxRetries is the number of retries after the first attempt. Unlike
	// the other fields, zero means what it says (no retries): callers start
	// from DefaultMaxRetries.
	MaxRetries int
	// RequestTimeout bounds each attempt, its body included.
	RequestTimeout time.Duration
	// MaxConcurrentRequests bounds the HTTP requests in flight across every
	// read of the Client (halved while Atlas answers 429); 1 sends them one
	// at a time.
	MaxConcurrentRequests int
	// ItemsPerPage is the page size, 1 to MaxItemsPerPage (default).
	ItemsPerPage int
	UserAgent    string
	Logger       Logger
	// RetryWaitMin and RetryWaitMax bound the exponential backoff used when
	// Atlas sends no Retry-After (defaults 1s and 30s).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// PollInterval, MaxPollInterval and ProgressEvery pace the wait for an
	// export job (wait.go); zero takes the Default* values.
	PollInterval, MaxPollInterval, ProgressEvery time.Duration
}

// Client reads export jobs from Atlas. It is safe for concurrent use and is
// meant to live as long as the provider, so that connections are reused.
type Client struct {
	baseURL        *url.URL
	apiVersion     string
	mediaType      string
	userAgent      string
	itemsPerPage   int
	concurrency    int
	maxListJobs    int
	requestTimeout time.Duration
	budget         *requestBudget
	logger         Logger
	// api sends the API requests with retries; with a key pair, its
	// transport answers the digest challenge of each request.
	api *retryablehttp.Client
	// Without a key pair, one of these gives the bearer token (auth.go).
	accessToken    string
	serviceAccount *serviceAccount
	// buckets (by projectID/bucketID) is client-wide: every read of the
	// provider shares it.
	bucketsMu sync.Mutex
	buckets   map[string]*bucketRead
	// wait.go
	pollInterval, maxPollInterval, progressEvery time.Duration
}

// ErrNoCredentials is returned by New when no complete kind of credentials
// (key pair, service account or access token) is configured.
var ErrNoCredentials = errors.New("no Atlas credentials")

// New builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	switch cfg.APIVersion {
	case "":
		cfg.APIVersion = APIVersionV2
	case APIVersionV2, APIVersionV1:
	default:
		return nil, fmt.Errorf("unsupported API version %q: use %q or %q", cfg.APIVersion, APIVersionV2, APIVersionV1)
	}
	keyPair, serviceAccount := cfg.PublicKey != "" && cfg.PrivateKey != "", cfg.ClientID != "" && cfg.ClientSecret != ""
	switch token := cfg.AccessToken != ""; {
	case !keyPair && !serviceAccount && !token:
		return nil, ErrNoCredentials
	case keyPair && serviceAccount, keyPair && token, serviceAccount && token:
		return nil, errors.New("more than one kind of Atlas credentials: give one of a key pair, a service account or an access token")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxConcurrentRequests <= 0 {
		cfg.MaxConcurrentRequests = DefaultMaxConcurrentRequests
	}
	if cfg.ItemsPerPage <= 0 || cfg.ItemsPerPage > MaxItemsPerPage {
		cfg.ItemsPerPage = MaxItemsPerPage
	}
	cfg.MaxRetries = max(cfg.MaxRetries, 0)
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = time.Second
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = max(30*time.Second, cfg.RetryWaitMin)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "terraform-provider-atlasexports"
	}

	budget := newRequestBudget(cfg.MaxConcurrentRequests)
	var transport http.RoundTripper = &budgetTransport{next: newTransport(cfg.MaxConcurrentRequests), budget: budget}

	c := &Client{
		baseURL:        base,
		apiVersion:     cfg.APIVersion,
		mediaType:      MediaTypeV2,
		userAgent:      cfg.UserAgent,
		itemsPerPage:   cfg.ItemsPerPage,
		concurrency:    cfg.MaxConcurrentRequests,
		maxListJobs:    maxListJobs,
		requestTimeout: cfg.RequestTimeout,
		budget:         budget,
		logger:         cfg.Logger,
		accessToken:    cfg.AccessToken,
		buckets:        map[string]*bucketRead{},
	}
	c.setPolling(cfg)
	if cfg.APIVersion == APIVersionV1 {
		c.mediaType = MediaTypeV1
	}
	apiTransport := transport
	switch {
	case keyPair:
		// mongodb-forks/digest answers the challenge of each request: two
		// round trips a request, both within the attempt's time limit.
		apiTransport = digest.NewTransportWithHTTPRoundTripper(cfg.PublicKey, cfg.PrivateKey, challengeCheck{next: transport})
	case serviceAccount:
		c.serviceAccount = newServiceAccount(base, cfg.ClientID, cfg.ClientSecret, c.newRetryClient(transport, cfg),
			func(ctx context.Context) {
				c.debug(ctx, "waiting for the service account token another read is getting", nil)
			})
	}
	c.api = c.newRetryClient(apiTransport, cfg)
	return c, nil
}

// ParseBaseURL checks that raw is an absolute http(s) URL, and that plain
// http is used only towards a loopback host: credentials and job data must
// not cross a network in clear text. An empty raw means DefaultBaseURL.
func ParseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, user info included: quote only
		// the reason.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("base URL does not parse: %w", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL must not carry credentials; use the key or service account attributes instead")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL such as %q", raw, DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q must not have a query or fragment", raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("base URL %q uses plain http towards a host that is not loopback; use https (http is allowed only for 127.0.0.0/8, ::1 and localhost)", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newTransport is the one transport a Client keeps for its lifetime: Go's
// default one (proxies from the environment, HTTP/2 when the server offers
// it), with TLS 1.2 at least and an idle connection kept for every request
// in flight, so that a wave of pages does not dial again.
func newTransport(concurrency int) *http.Transport {
	t := &http.Transport{}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.MaxIdleConnsPerHost = max(2*concurrency, 16)
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// checkRedirect follows a redirect only to the same scheme and host: digest
// would otherwise answer another host's challenge with our key, and the
// bearer token or the service account's secret would go with it.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("%w from %s to another host (%s): credentials are only sent to the configured base_url",
			errRedirectRefused, first.Host, req.URL.Host)
	}
	return nil
}

// challengeCheck sits under mongodb-forks/digest and turns a challenge it
// cannot answer into a ChallengeError before digest parses it: digest v1.1.0,
// the newest, panics on a challenge part without "=" (such as
// `Digest realm`), which would crash the provider, and answers any other
// challenge it does not know with an error that a retry only repeats. Atlas
// challenges with `Digest realm="MMS Public API", nonce="...", ...`.
type challengeCheck struct{ next http.RoundTripper }

func (t challengeCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.Header.Get("Authorization") != "" {
		// Only the request sent without credentials gets the challenge
		// digest answers; a 401 to the answer is Atlas's verdict.
		return resp, err
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	if challenge == "" || digestCanAnswer(challenge) {
		return resp, nil // without a challenge, digest hands the 401 back as it is
	}
	resp.Body.Close()
	return nil, &ChallengeError{Challenge: challenge}
}

// digestCanAnswer reports whether mongodb-forks/digest parses challenge: the
// scheme Digest, then parts separated by ", ", each a key it knows, "=", and
// a value.
func digestCanAnswer(challenge string) bool {
	const ws = " \n\r\t"
	rest, ok := strings.CutPrefix(strings.Trim(challenge, ws), "Digest ")
	if !ok {
		return false
	}
	for part := range strings.SplitSeq(strings.Trim(rest, ws), ", ") {
		key, _, ok := strings.Cut(part, "=")
		if !ok {
			return false
		}
		switch key {
		case "realm", "domain", "nonce", "opaque", "stale", "algorithm", "qop":
		default:
			return false
		}
	}
	return true
}

// errRedirectRefused marks a redirect checkRedirect refused. Asking again
// earns the same redirect, so it is not retried.
var errRedirectRefused = errors.New("refusing to follow a redirect")

// newRetryClient sends requests through transport with the retry policy:
// at most cfg.MaxRetries retries, each attempt within cfg.RequestTimeout, its
// body included.
func (c *Client) newRetryClient(transport http.RoundTripper, cfg Config) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:      &http.Client{Transport: transport, Timeout: cfg.RequestTimeout, CheckRedirect: c.checkRedirect},
		RetryWaitMin:    cfg.RetryWaitMin,
		RetryWaitMax:    cfg.RetryWaitMax,
		RetryMax:        cfg.MaxRetries,
		CheckRetry:      c.checkRetry,
		Backoff:         backoff,
		ErrorHandler:    finalError,
		RequestLogHook:  c.logAttempt,
		ResponseLogHook: c.logResponse,
	}
}

// retryableStatus lists the answers worth another attempt: rate limiting and
// the failures of Atlas or a proxy in front of it. Everything else (400, 401,
// 403, 404, ...) will not change by asking again.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// checkRetry is the retry policy. ctx is the caller's: once it is done (the
// read's time limit, or Terraform cancelling), nothing is retried and its
// error is the outcome. err is either a transport error or the error of the
// response handler that decodes the body within the attempt.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		_, isAPIErr := errors.AsType[*APIError](err)
		netErr, isNetErr := errors.AsType[net.Error](err)
		bodyErr, isBodyErr := errors.AsType[*ResponseBodyError](err)
		challengeErr, isChallengeErr := errors.AsType[*ChallengeError](err)
		switch {
		case isAPIErr, errors.Is(err, errRedirectRefused):
			return false, err
		case isChallengeErr:
			// Without the transport's wrapping, which repeats the URL that
			// the caller names already, as for a timeout.
			return false, challengeErr
		case isNetErr && netErr.Timeout():
			// The attempt's own time limit (http.Client.Timeout, or the
			// dial's) ended it. Its error matches context.DeadlineExceeded
			// too, which would pass it off as the caller's deadline.
			return true, &TimeoutError{Timeout: c.requestTimeout}
		case isBodyErr:
			// A body cut short is a network failure; a complete body
			// that is not JSON will not improve on a retry.
			return bodyErr.transient(), err
		}
		// Transport errors: resets, EOF. retryablehttp's own policy knows
		// the ones that are permanent (bad scheme, untrusted TLS cert).
		return retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, err)
	}
	return retryableStatus(resp.StatusCode), nil
}

// backoff honours Retry-After (seconds or an HTTP date) on 429 and 503,
// otherwise waits exponentially with jitter, bounded by RetryWaitMax.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) &&
		resp.Header.Get("Retry-After") != "" {
		// DefaultBackoff parses the header; a malformed one falls back to
		// plain exponential backoff, which the jitter below does not apply to.
		return min(retryablehttp.DefaultBackoff(minWait, maxWait, attempt, resp), maxRetryAfter)
	}
	wait := retryablehttp.DefaultBackoff(minWait, maxWait, attempt, nil)
	// "Equal jitter": half fixed, half random, so that pages that failed
	// together do not retry together.
	half := wait / 2
	return half + rand.N(half+1) //nolint:gosec // jitter needs no cryptographic randomness
}

// maxRetryAfter bounds a server's Retry-After so that a misbehaving proxy
// cannot park a plan for hours; the read timeout bounds the whole read anyway.
const maxRetryAfter = 5 * time.Minute

// finalError runs when retryablehttp gives up. It turns the last answer into
// an error that says how many attempts were made and what Atlas said last.
func finalError(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		apiErr.Attempts = attempts
		return nil, err
	}
	if bodyErr, ok := errors.AsType[*ResponseBodyError](err); ok {
		bodyErr.Attempts = attempts
		return nil, err
	}
	if err == nil && resp != nil {
		// Retries exhausted on a retryable status; its body is still unread.
		apiErr := apiErrorFromResponse(resp)
		apiErr.Attempts = attempts
		return nil, apiErr
	}
	if resp != nil {
		resp.Body.Close()
	}
	if attempts > 1 {
		return nil, fmt.Errorf("gave up after %d attempts: %w", attempts, err)
	}
	return nil, err
}

// logAttempt and logResponse are retryablehttp's hooks: every attempt and
// answer at debug level, a retry as a warning.
func (c *Client) logAttempt(_ retryablehttp.Logger, req *http.Request, retry int) {
	if c.logger == nil {
		return
	}
	fields := map[string]any{"method": req.Method, "url": req.URL.String(), "attempt": retry + 1}
	if retry > 0 {
		c.logger.Warn(req.Context(), "retrying Atlas request", fields)
		return
	}
	c.logger.Debug(req.Context(), "sending Atlas request", fields)
}

func (c *Client) logResponse(_ retryablehttp.Logger, resp *http.Response) {
	if c.logger == nil || resp == nil || resp.Request == nil {
		return
	}
	fields := map[string]any{
		"method":       resp.Request.Method,
		"url":          resp.Request.URL.String(),
		"status":       resp.StatusCode,
		"content_type": resp.Header.Get("Content-Type"),
	}
	if v := resp.Header.Get("Ratelimit-Remaining"); v != "" {
		fields["ratelimit_remaining"] = v
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		fields["retry_after"] = v
	}
	c.logger.Debug(resp.Request.Context(), "Atlas answered", fields)
}

func (c *Client) debug(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Debug(ctx, msg, fields)
	}
}

func (c *Client) warn(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Warn(ctx, msg, fields)
	}
}
