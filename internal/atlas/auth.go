package atlas

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
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
	now    func() time.Time
	// One fetch at a time: readers that need a token at the same moment
	// share the first one's (Atlas allows 50 token requests a minute per
	// client and IP address), and its failure, so that n reads waiting for
	// a token that cannot be had wait for one fetch's attempts, not n.
	flight   singleflight.Group
	fetching atomic.Bool
	mu       sync.Mutex
	token    *oauth2.Token // guarded by mu
	// waiting, when set, is told when a caller waits for another's fetch.
	waiting func(ctx context.Context)
}

func newServiceAccount(base *url.URL, clientID, clientSecret string, retry *retryablehttp.Client, now func() time.Time,
	waiting func(context.Context),
) *serviceAccount {
	return &serviceAccount{
		config: &clientcredentials.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			TokenURL:     base.JoinPath(tokenPath).String(),
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		http:    &http.Client{Transport: tokenTransport{retry: retry}},
		now:     now,
		waiting: waiting,
	}
}

// abandonedFetch is a fetch that failed because its own caller gave up,
// which says nothing of the token: the callers that shared it ask again.
type abandonedFetch struct{ err error }

func (e *abandonedFetch) Error() string { return e.err.Error() }
func (e *abandonedFetch) Unwrap() error { return e.err }

// get returns an access token that is not about to expire, other than
// refused (a token Atlas has just refused, "" for none); fresh is true when
// it was fetched for this call rather than taken from the cache.
func (s *serviceAccount) get(ctx context.Context, refused string) (token string, fresh bool, err error) {
	for {
		s.mu.Lock()
		t := s.token
		s.mu.Unlock()
		if t != nil && t.AccessToken != refused && (t.Expiry.IsZero() || s.now().Add(tokenRenewalMargin).Before(t.Expiry)) {
			return t.AccessToken, false, nil
		}
		// Marked before the flight starts, so that a caller that comes
		// while it is in flight says it waits.
		if s.fetching.Swap(true) && s.waiting != nil {
			s.waiting(ctx)
		}
		ch := s.flight.DoChan(tokenPath, func() (any, error) { return s.fetch(ctx) })
		select {
		case <-ctx.Done():
			return "", false, &TokenError{Err: ctx.Err()}
		case r := <-ch:
			if abandoned, ok := errors.AsType[*abandonedFetch](r.Err); ok {
				if ctx.Err() == nil {
					continue // another caller's fetch, which it gave up
				}
				return "", false, &TokenError{Err: abandoned.err}
			}
			if r.Err != nil {
				return "", false, &TokenError{Err: r.Err}
			}
			return r.Val.(string), true, nil //nolint:forcetypeassert // fetch returns a string
		}
	}
}

// fetch gets a new token under ctx, its caller's, and caches it.
func (s *serviceAccount) fetch(ctx context.Context) (string, error) {
	defer s.fetching.Store(false)
	t, err := s.config.Token(context.WithValue(ctx, oauth2.HTTPClient, s.http))
	if err != nil {
		// The request error repeats the token URL; TokenError names it.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		if ctx.Err() != nil {
			return "", &abandonedFetch{err: err}
		}
		return "", err
	}
	s.mu.Lock()
	s.token = t
	s.mu.Unlock()
	return t.AccessToken, nil
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
