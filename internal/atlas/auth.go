package atlas

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenRenewalMargin renews a token this long before it expires, so that a
// long paged read never carries a token that expires mid-walk.
const tokenRenewalMargin = time.Minute

// tokenPath is the service account token endpoint, under the base URL.
const tokenPath = "/api/oauth/token" //nolint:gosec // G101: a path, not a credential

// serviceAccount gets and caches the access token of an Atlas service
// account (OAuth 2.0 client credentials) for the client's lifetime. The
// token is fetched before an API request's attempts, under the caller's
// context, so that its own retries and Retry-After are not cut short by an
// API attempt's request_timeout, and its failure is its own error.
type serviceAccount struct {
	config *clientcredentials.Config
	http   *http.Client
	// slot lets one caller at a time look at the cache and, when it must,
	// fetch: readers that need a token at the same moment wait (each under
	// its own context) for the first one's, rather than each asking Atlas,
	// which allows 50 token requests a minute per client and IP address.
	slot  chan struct{}
	token *oauth2.Token // guarded by slot
	// failures counts the fetches that failed within their own bounds (not
	// because their caller gave up), and lastFailure is the newest one's
	// error: a caller that waited for the slot while a fetch failed gets
	// that failure instead of asking again, so that n reads waiting for a
	// token that cannot be had wait for one fetch's attempts, not n.
	failures    atomic.Uint64
	lastFailure error // guarded by slot
	// waiting, when set, is told when a caller waits for another's fetch.
	waiting func(ctx context.Context)
}

func newServiceAccount(base *url.URL, clientID, clientSecret string, retry *retryablehttp.Client, waiting func(context.Context)) *serviceAccount {
	return &serviceAccount{
		config: &clientcredentials.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			TokenURL:     base.JoinPath(tokenPath).String(),
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		http:    &http.Client{Transport: tokenTransport{retry: retry}},
		slot:    make(chan struct{}, 1),
		waiting: waiting,
	}
}

// get returns an access token that is not about to expire, other than
// refused (a token Atlas has just refused, "" for none); fresh is true when
// it was fetched for this call rather than taken from the cache.
func (s *serviceAccount) get(ctx context.Context, refused string) (token string, fresh bool, err error) {
	failuresBefore := s.failures.Load()
	select {
	case s.slot <- struct{}{}:
	default:
		if s.waiting != nil {
			s.waiting(ctx)
		}
		select {
		case s.slot <- struct{}{}:
		case <-ctx.Done():
			return "", false, &TokenError{Err: ctx.Err()}
		}
	}
	defer func() { <-s.slot }()
	if t := s.token; t != nil && t.AccessToken != refused &&
		(t.Expiry.IsZero() || time.Now().Add(tokenRenewalMargin).Before(t.Expiry)) {
		return t.AccessToken, false, nil
	}
	if s.failures.Load() != failuresBefore {
		return "", false, s.lastFailure
	}
	t, err := s.config.Token(context.WithValue(ctx, oauth2.HTTPClient, s.http))
	if err != nil {
		// The request error repeats the token URL; TokenError names it.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		tokenErr := &TokenError{Err: err}
		if ctx.Err() == nil {
			s.lastFailure = tokenErr
			s.failures.Add(1)
		}
		return "", false, tokenErr
	}
	s.token = t
	return t.AccessToken, true, nil
}

// tokenTransport sends the token request with the client's retry policy
// (max_retries, each attempt within request_timeout) and turns an answer
// other than a success into an *APIError that says how many attempts were
// made and what Atlas (or OAuth's error shape) said last.
type tokenTransport struct{ retry *retryablehttp.Client }

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close() // FromRequest has read it
	}
	r, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, err
	}
	r.SetResponseHandler(func(resp *http.Response) error {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return apiErrorFromResponse(resp)
		}
		return nil
	})
	return t.retry.Do(r)
}

// bearer returns the token an API request carries ("" with a key pair);
// fresh is true when a 401 to it is final.
func (c *Client) bearer(ctx context.Context) (token string, fresh bool, err error) {
	switch {
	case c.serviceAccount != nil:
		return c.serviceAccount.get(ctx, "")
	case c.accessToken != "":
		return c.accessToken, true, nil
	}
	return "", true, nil
}

// TokenError is a service account token that could not be had: the token
// request failed, not the API request that was waiting for it.
type TokenError struct {
	// Err is the last failure: an *APIError, the attempts' timeout, or the
	// caller's context ending.
	Err error
}

func (e *TokenError) Error() string {
	return "getting the service account token (POST " + tokenPath + "): " + e.Err.Error()
}

func (e *TokenError) Unwrap() error { return e.Err }
