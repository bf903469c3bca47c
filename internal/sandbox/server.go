// Package sandbox is a small Atlas-compatible server for the export job
// endpoints and the export bucket GET: HTTP Digest with a real challenge and
// verification, OAuth 2.0 client credentials, the roles each operation needs,
// the v2 and v1.0 list and get operations with Atlas's paging and error
// envelope, and scripted faults (rate limiting, proxy errors, hangs, truncated
// bodies, capped pages, jobs created while a client pages, keys that stop
// working). Its answers follow the recordings in shared/atlas-recordings and
// the contract in shared/atlas-openapi, not what a client hopes to read.
// Unit tests, acceptance tests, benchmarks and `make demo` all use this one
// double of Atlas.
package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Realm is the digest realm Atlas announces.
const Realm = "MMS Public API"

// Media types, as Atlas sends them.
const (
	contentTypeV2    = "application/vnd.atlas.2023-01-01+json;charset=utf-8"
	contentTypeV1    = "application/json"
	contentTypeError = "application/json"
	acceptV2         = "application/vnd.atlas.2023-01-01+json"
)

// Request is what the sandbox saw of one request, for tests to assert on.
// It is logged as it arrives; Authenticated and Status are filled in as the
// sandbox learns them.
type Request struct {
	Method, Path, RawQuery string
	Accept, UserAgent      string
	// Auth is the kind of credentials the request carries: "none",
	// "digest", "bearer" or "basic" (the token endpoint).
	Auth string
	// Authenticated is true when the credentials were verified.
	Authenticated bool
	// Status is the answer's status, 0 while none has started: a request
	// still waiting (Latency, a scripted hang) or one the client gave up on
	// before it was answered.
	Status int
}

// Server is the sandbox. The zero value is not usable; call New or NewEmpty.
type Server struct {
	mu              sync.Mutex
	mux             *http.ServeMux
	keys            map[string]string                  // public key -> private key
	roles           map[string][]string                // claimedKey identity -> its roles
	serviceAccounts map[string]string                  // client id -> secret
	tokens          map[string]issuedToken             // access token -> its owner and expiry
	nonces          map[string]*issuedNonce            // digest nonces issued
	clusters        map[string][]Job                   // projectID/cluster -> jobs, newest first
	buckets         map[string]map[string]ExportBucket // projectID -> bucket id -> bucket
	faults          []*Fault
	afterPage       []*pageHook
	keyBudget       map[string]int // public key -> authenticated requests left
	requests        []*Request     // in the order they arrived
	inFlight        int
	maxInFlight     int
	// behaviours.go
	keyInFlight    map[string]int // claimed key -> requests in flight
	maxKeyInFlight int            // most requests of one key in flight
	rateLimited    int            // 429s answered for MaxInFlightPerKey
	exports        exportState    // snapshots.go, export_create.go

	Behaviours

	// TokenLifetime is how long issued access tokens last (Atlas: 1 hour).
	TokenLifetime time.Duration
	// Latency delays every answer, challenges included, to model the
	// round trip to Atlas in benchmarks.
	Latency time.Duration
	// SingleUseNonces makes every digest nonce good for one request, as a
	// strict server may; clients must then answer a fresh challenge each time.
	SingleUseNonces bool
	// StrictNonceCounts refuses a nonce count that is not above every count
	// already accepted for its nonce, as a strict RFC 7616 server may: answers
	// that overtake each other on the way are refused.
	StrictNonceCounts bool
	// NonceLifetime is how long a digest nonce is good for (default 5
	// minutes); a server may accept reused nonces and still expire them.
	NonceLifetime time.Duration
	// OnArrival, when set, is called with every request as it arrives,
	// before any Latency, fault or answer: tests wait on it (a channel
	// send) for a request to be in flight instead of polling Requests.
	OnArrival func(Request)
}

// New returns a sandbox seeded with the documentation examples, a generated
// cluster of GeneratedJobs jobs, an empty cluster, a cluster whose jobs
// point at each kind of export bucket (and at a deleted one) and those
// buckets, and a cluster where an old snapshot was exported after newer
// ones, accepting the sandbox key pair and service account.
func New() *Server {
	s := NewEmpty()
	s.AddKey(PublicKey, PrivateKey)
	s.AddServiceAccount(ClientID, ClientSecret)
	s.SetJobs(ProjectID, ClusterReplicaSet, DocsReplicaSetJobs())
	s.SetJobs(ProjectID, ClusterSharded, DocsShardedJobs())
	s.SetJobs(ProjectID, ClusterGenerated, GenerateJobs(ClusterGenerated, GeneratedJobs, 1))
	s.SetJobs(ProjectID, ClusterEmpty, nil)
	s.SetJobs(ProjectID, ClusterBucketKinds, BucketKindsJobs())
	s.SetJobs(ProjectID, ClusterReexported, ReexportedJobs())
	s.SetExportBuckets(ProjectID, SeededExportBuckets()...)
	s.SetSnapshots(ProjectID, ClusterReplicaSet, SeededReplicaSetSnapshots()...)
	s.SetSnapshots(ProjectID, ClusterSharded, SeededShardedSnapshots()...)
	return s
}

// NewEmpty returns a sandbox with no credentials and no clusters.
func NewEmpty() *Server {
	s := &Server{
		mux:             http.NewServeMux(),
		keys:            map[string]string{},
		roles:           map[string][]string{},
		serviceAccounts: map[string]string{},
		tokens:          map[string]issuedToken{},
		nonces:          map[string]*issuedNonce{},
		clusters:        map[string][]Job{},
		buckets:         map[string]map[string]ExportBucket{},
		keyBudget:       map[string]int{},
		keyInFlight:     map[string]int{},
		TokenLifetime:   time.Hour,
		NonceLifetime:   5 * time.Minute,
	}
	s.routes()
	return s
}

// The project roles of x-rolesRequirements that the sandbox's operations
// need. Atlas's roles do not simply nest (Project Backup Manager cannot do
// everything Project Read Only can), so a credential holds an explicit set
// of roles, and an operation is allowed when the set holds the role it
// needs or RoleProjectOwner, which allows everything. The roles hold in
// every project of the sandbox.
const (
	RoleProjectOwner                = "Project Owner"
	RoleProjectBackupManager        = "Project Backup Manager"
	RoleProjectReadOnly             = "Project Read Only"
	RoleProjectBackupExportOperator = "Project Backup Export Operator" // the export POST
	RoleProjectBackupCreator        = "Project Backup Creator"         // the snapshot POST
)

// AddKey accepts an API key pair with full access (RoleProjectOwner).
func (s *Server) AddKey(public, private string) {
	s.AddKeyWithRoles(public, private, RoleProjectOwner)
}

// AddKeyWithRoles accepts an API key pair that has only the given roles:
// an operation that needs another answers 401 USER_UNAUTHORIZED, as Atlas
// does for a valid key that lacks the role.
func (s *Server) AddKeyWithRoles(public, private string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[public] = private
	s.roles["key:"+public] = roles
}

// RevokeKeyAfter lets a key authenticate n more requests, then answers 401
// as Atlas does for a deleted key.
func (s *Server) RevokeKeyAfter(public string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyBudget[public] = n
}

// AddServiceAccount accepts a service account with full access
// (RoleProjectOwner).
func (s *Server) AddServiceAccount(clientID, secret string) {
	s.AddServiceAccountWithRoles(clientID, secret, RoleProjectOwner)
}

// AddServiceAccountWithRoles accepts a service account that has only the
// given roles, as AddKeyWithRoles does for a key.
func (s *Server) AddServiceAccountWithRoles(clientID, secret string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serviceAccounts[clientID] = secret
	s.roles["service account:"+clientID] = roles
}

// hasRole reports whether an authenticated identity may do what needs role.
func (s *Server) hasRole(identity, role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles := s.roles[identity]
	return slices.Contains(roles, role) || slices.Contains(roles, RoleProjectOwner)
}

// SetJobs creates (or replaces) a cluster and its jobs. The sandbox serves
// jobs newest first unless Behaviours.JobOrder says otherwise, so that jobs
// created while a client pages shift every later page, as they can on Atlas.
func (s *Server) SetJobs(projectID, cluster string, jobs []Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := slices.Clone(jobs)
	if sorted == nil {
		sorted = []Job{}
	}
	sortJobs(sorted)
	s.clusters[projectID+"/"+cluster] = sorted
}

// InsertJobs adds jobs to an existing cluster.
func (s *Server) InsertJobs(projectID, cluster string, jobs ...Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insertLocked(projectID+"/"+cluster, jobs)
}

func (s *Server) insertLocked(key string, jobs []Job) {
	all := append(s.clusters[key], jobs...)
	sortJobs(all)
	s.clusters[key] = all
}

func sortJobs(jobs []Job) {
	slices.SortStableFunc(jobs, func(a, b Job) int {
		if c := strings.Compare(b.CreatedAt, a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// Requests returns the requests that have arrived so far, in the order
// they arrived, each as far as the sandbox has seen it.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// CountRequests counts the requests of the log that match: one helper for
// every package's tests. IsAuthenticated, IsTokenRequest, IsListPage and
// IsBucketGET are common matches.
func (s *Server) CountRequests(match func(Request) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// IsAuthenticated matches the requests whose credentials were verified.
func IsAuthenticated(r Request) bool { return r.Authenticated }

// IsTokenRequest matches the requests to the service account token
// endpoint.
func IsTokenRequest(r Request) bool { return r.Path == tokenPath }

// IsListPage matches the requests for a page of a cluster's export jobs
// (any project, any version; pageNum 1 when the query has none),
// challenges included.
func IsListPage(cluster string, page int) func(Request) bool {
	return func(r Request) bool {
		if !strings.HasSuffix(strings.TrimSuffix(r.Path, "/"), "/clusters/"+cluster+"/backup/exports") {
			return false
		}
		q, _ := url.ParseQuery(r.RawQuery)
		n, ok := intParam(q, "pageNum", 1, 1<<30)
		return ok && n == page
	}
}

// IsBucketGET matches the requests for an export bucket, challenges
// included.
func IsBucketGET(bucketID string) func(Request) bool {
	return func(r Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/backup/exportBuckets/"+bucketID)
	}
}

// logArrival adds a request to the log and returns its entry.
func (s *Server) logArrival(r Request) *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	entry := &r
	s.requests = append(s.requests, entry)
	return entry
}

// updateLog records what the sandbox has learned of a logged request.
func (s *Server) updateLog(entry *Request, r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*entry = r
}

// ResetRequests forgets the requests seen so far, and the most that were in
// flight.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.maxInFlight = 0
	s.maxKeyInFlight = 0
}

// TokensIssued counts the access tokens the token endpoint has issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens) // tokens are never forgotten, expired or not
}

// MaxInFlight is the largest number of requests the sandbox served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}
