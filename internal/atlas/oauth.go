package atlas

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenRenewalMargin renews a token this long before it expires, so that a
// long paged read never carries a token that expires mid-walk.
const tokenRenewalMargin = time.Minute

// bearerTransport authenticates requests with a service account's access
// token. Unlike oauth2.Transport over a token source built on one context,
// every token request here waits only as long as a request that needs it:
// the read's time limit and cancellation end the wait.
type bearerTransport struct {
	next   http.RoundTripper
	tokens *tokenCache
}

func newBearerTransport(cc *clientcredentials.Config, tokenHTTP *http.Client, next http.RoundTripper) *bearerTransport {
	return &bearerTransport{next: next, tokens: &tokenCache{config: cc, httpClient: tokenHTTP}}
}

// RoundTrip sends req with the cached token, fetching one first when there
// is none or it is about to expire. A 401 to a cached token means Atlas no
// longer takes it (revoked, or expired earlier than announced): the token is
// dropped and the request sent once more with a new one. A 401 to a token
// fetched for this very request is final, so this never loops.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token, fresh, err := t.tokens.get(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, token)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || fresh || !replayable(req) {
		return resp, err
	}
	drain(resp)
	t.tokens.drop(token)
	if token, _, err = t.tokens.get(req.Context()); err != nil {
		return nil, err
	}
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = body
	}
	return t.send(req, token)
}

func (t *bearerTransport) send(req *http.Request, token *oauth2.Token) (*http.Response, error) {
	// RoundTrippers must not modify the caller's request.
	authed := req.Clone(req.Context())
	authed.Header.Set("Authorization", "Bearer "+token.AccessToken)
	return t.next.RoundTrip(authed)
}

// replayable reports whether req can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// drain reads a little of an answer that is not used and closes it, so that
// its connection can serve the next request.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// tokenCache holds the client's access token for its lifetime and lets the
// requests that need a new one at the same moment share one token request.
type tokenCache struct {
	config     *clientcredentials.Config
	httpClient *http.Client // the retrying client: token requests get the API's retry policy

	mu    sync.Mutex
	token *oauth2.Token
	call  *tokenCall // the token request in flight, if any
}

// tokenCall is one token request shared by every caller waiting for it. It
// runs on a context of its own, cancelled only when every caller has given
// up: one caller's cancelled read must not fail the others, and a token
// request nobody waits for any more must not run on.
type tokenCall struct {
	done    chan struct{}
	token   *oauth2.Token
	err     error
	waiters int
	cancel  context.CancelFunc
}

// get returns a token that is not about to expire; fresh is true when it
// was fetched for this call rather than taken from the cache.
func (c *tokenCache) get(ctx context.Context) (token *oauth2.Token, fresh bool, err error) {
	c.mu.Lock()
	if c.token != nil && usable(c.token) {
		token := c.token
		c.mu.Unlock()
		return token, false, nil
	}
	call := c.call
	if call == nil {
		call = c.startLocked(ctx)
	}
	call.waiters++
	c.mu.Unlock()

	select {
	case <-call.done:
		return call.token, true, call.err
	case <-ctx.Done():
		c.leave(call)
		return nil, false, ctx.Err()
	}
}

// startLocked starts a token request. It keeps the values of ctx (the
// provider's masking logger) but not its deadline or cancellation: the
// waiters' count decides when it stops.
func (c *tokenCache) startLocked(ctx context.Context) *tokenCall {
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	callCtx = context.WithValue(callCtx, oauth2.HTTPClient, c.httpClient)
	call := &tokenCall{done: make(chan struct{}), cancel: cancel}
	c.call = call
	go func() {
		defer cancel()
		token, err := c.config.Token(callCtx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.call == call {
			c.call = nil
			if err == nil {
				c.token = token
			}
		}
		call.token, call.err = token, err
		close(call.done)
	}()
	return call
}

// leave notes that a waiter gave up; the last one to leave stops the token
// request, and later callers start a new one.
func (c *tokenCache) leave(call *tokenCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call.waiters--
	if call.waiters == 0 && c.call == call {
		c.call = nil
		call.cancel()
	}
}

// drop forgets token if it is still the cached one.
func (c *tokenCache) drop(token *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = nil
	}
}

// usable reports whether a token stays valid beyond the renewal margin. A
// token without an expiry is used until Atlas refuses it.
func usable(token *oauth2.Token) bool {
	if token.AccessToken == "" {
		return false
	}
	return token.Expiry.IsZero() || time.Now().Add(tokenRenewalMargin).Before(token.Expiry)
}

// staticBearer sends a ready access token with every request.
type staticBearer struct {
	next  http.RoundTripper
	token string
}

func (t *staticBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	authed := req.Clone(req.Context())
	authed.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(authed)
}
