package atlas

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

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

// errRedirectRefused marks a redirect checkRedirect refused. Asking again
// earns the same redirect, so it is not retried.
var errRedirectRefused = errors.New("refusing to follow a redirect")

// newRetryClient sends requests through transport with the retry policy:
// at most cfg.MaxRetries retries; transport (attemptTransport) bounds each
// attempt.
func (c *Client) newRetryClient(transport http.RoundTripper, cfg Config) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:      &http.Client{Transport: transport, CheckRedirect: c.checkRedirect},
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
		apiErr, isAPIErr := errors.AsType[*APIError](err)
		netErr, isNetErr := errors.AsType[net.Error](err)
		bodyErr, isBodyErr := errors.AsType[*ResponseBodyError](err)
		challengeErr, isChallengeErr := errors.AsType[*ChallengeError](err)
		timeoutErr, isTimeout := errors.AsType[*TimeoutError](err)
		switch {
		case isAPIErr:
			// Without the transport's wrapping when the transport gave it
			// (challengeCheck): the caller names the request.
			return false, apiErr
		case errors.Is(err, errRedirectRefused):
			return false, err
		case isChallengeErr:
			// Without the transport's wrapping, which repeats the URL that
			// the caller names already, as for a timeout.
			return false, challengeErr
		case isTimeout:
			// The attempt's own time limit ended it (attemptTransport),
			// before or while its body was read.
			return true, timeoutErr
		case isNetErr && netErr.Timeout():
			// The dial's own limit. Its error matches
			// context.DeadlineExceeded too, which would pass it off as the
			// caller's deadline.
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
