// Package atlas is a small client for the MongoDB Atlas Admin API's Cloud
// Backup snapshot export jobs. It owns HTTP, authentication (HTTP Digest API
// keys, OAuth 2.0 service accounts or a ready access token), paging, retries
// and Atlas's error envelope, and has no Terraform imports: the provider only
// maps its results.
package atlas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/mongodb-forks/digest"
	"golang.org/x/sync/singleflight"
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
	// MaxRetries is the number of retries after the first attempt; unlike
	// the other fields, zero means none.
	MaxRetries int
	// RequestTimeout bounds each attempt, its body included.
	RequestTimeout time.Duration
	// MaxConcurrentRequests bounds the requests in flight across every
	// read of the Client (budget.go).
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
	credentials    Credentials
	// now is the clock that says when a token is due for renewal; tests
	// set it.
	now func() time.Time
	// The export buckets (buckets.go), by projectID/bucketID.
	bucketFlight singleflight.Group
	bucketsMu    sync.Mutex
	buckets      map[string]bucketAnswer
	// bucketsFetching says which reads are in flight, for the log.
	bucketsFetching map[string]bool
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
	transport := newTransport(cfg.MaxConcurrentRequests)
	attempts := func(next http.RoundTripper) http.RoundTripper {
		return &attemptTransport{next: next, budget: budget, timeout: cfg.RequestTimeout}
	}

	c := &Client{
		baseURL:         base,
		apiVersion:      cfg.APIVersion,
		mediaType:       MediaTypeV2,
		userAgent:       cfg.UserAgent,
		itemsPerPage:    cfg.ItemsPerPage,
		concurrency:     cfg.MaxConcurrentRequests,
		maxListJobs:     maxListJobs,
		requestTimeout:  cfg.RequestTimeout,
		budget:          budget,
		logger:          cfg.Logger,
		accessToken:     cfg.AccessToken,
		now:             time.Now,
		buckets:         map[string]bucketAnswer{},
		bucketsFetching: map[string]bool{},
	}
	c.setPolling(cfg)
	if cfg.APIVersion == APIVersionV1 {
		c.mediaType = MediaTypeV1
	}
	apiTransport := attempts(transport)
	c.credentials = CredentialsAccessToken
	switch {
	case keyPair:
		c.credentials = CredentialsKeyPair
		// mongodb-forks/digest answers the challenge of each request: two
		// round trips a request, both within the attempt's time limit.
		apiTransport = attempts(digest.NewTransportWithHTTPRoundTripper(cfg.PublicKey, cfg.PrivateKey, challengeCheck{next: transport}))
	case serviceAccount:
		c.credentials = CredentialsServiceAccount
		c.serviceAccount = newServiceAccount(base, cfg.ClientID, cfg.ClientSecret, c.newRetryClient(attempts(transport), cfg),
			func() time.Time { return c.now() }, func(ctx context.Context) {
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
