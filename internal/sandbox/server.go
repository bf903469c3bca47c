// Package sandbox is a small Atlas-compatible server for the export job
// endpoints: HTTP Digest with a real challenge and verification, OAuth 2.0
// client credentials, the v2 and v1.0 list and get operations with Atlas's
// paging and error envelope, and scripted faults (rate limiting, proxy
// errors, hangs, truncated bodies, jobs created while a client pages, keys
// that stop working). Unit tests, acceptance tests, benchmarks and `make demo`
// all use this one double of Atlas.
package sandbox

import (
	"bytes"
	"crypto/md5" //nolint:gosec // HTTP Digest as Atlas speaks it is MD5
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
type Request struct {
	Method, Path, RawQuery string
	Accept, UserAgent      string
	// Auth is "none", "digest", "bearer" or "basic" (the token endpoint).
	Auth string
	// Authenticated is true when the credentials were verified.
	Authenticated bool
	Status        int
}

// Server is the sandbox. The zero value is not usable; call New or NewEmpty.
type Server struct {
	mu                sync.Mutex
	keys              map[string]string          // public key -> private key
	serviceAccounts   map[string]string          // client id -> secret
	tokens            map[string]time.Time       // access token -> expiry
	nonces            map[string]time.Time       // digest nonce -> expiry
	nonceCounts       map[string]map[string]bool // digest nonce -> nonce counts used
	highestNonceCount map[string]uint64          // digest nonce -> highest count accepted
	clusters          map[string][]Job           // projectID/cluster -> jobs, newest first
	faults            []*Fault
	afterPage         []*pageHook
	keyBudget         map[string]int // public key -> authenticated requests left
	requests          []Request
	tokensIssued      int
	inFlight          int
	maxInFlight       int

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
}

// New returns a sandbox seeded with the documentation examples, a generated
// cluster of GeneratedJobs jobs and an empty cluster, accepting the sandbox
// key pair and service account.
func New() *Server {
	s := NewEmpty()
	s.AddKey(PublicKey, PrivateKey)
	s.AddServiceAccount(ClientID, ClientSecret)
	s.SetJobs(ProjectID, ClusterReplicaSet, DocsReplicaSetJobs())
	s.SetJobs(ProjectID, ClusterSharded, DocsShardedJobs())
	s.SetJobs(ProjectID, ClusterGenerated, GenerateJobs(ClusterGenerated, GeneratedJobs, 1))
	s.SetJobs(ProjectID, ClusterEmpty, nil)
	return s
}

// NewEmpty returns a sandbox with no credentials and no clusters.
func NewEmpty() *Server {
	return &Server{
		keys:              map[string]string{},
		serviceAccounts:   map[string]string{},
		tokens:            map[string]time.Time{},
		nonces:            map[string]time.Time{},
		nonceCounts:       map[string]map[string]bool{},
		highestNonceCount: map[string]uint64{},
		clusters:          map[string][]Job{},
		keyBudget:         map[string]int{},
		TokenLifetime:     time.Hour,
	}
}

// AddKey accepts an API key pair.
func (s *Server) AddKey(public, private string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[public] = private
}

// RevokeKeyAfter lets a key authenticate n more requests, then answers 401
// as Atlas does for a deleted key.
func (s *Server) RevokeKeyAfter(public string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyBudget[public] = n
}

// AddServiceAccount accepts a service account.
func (s *Server) AddServiceAccount(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serviceAccounts[clientID] = secret
}

// SetJobs creates (or replaces) a cluster and its jobs. The sandbox serves
// jobs newest first, so that jobs created while a client pages shift every
// later page, as they can on Atlas.
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

// InsertAfterPage inserts jobs into a cluster right after the sandbox has
// served the given page of it for the first time: the jobs appear between
// two pages of a client's walk.
func (s *Server) InsertAfterPage(projectID, cluster string, page int, jobs ...Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterPage = append(s.afterPage, &pageHook{key: projectID + "/" + cluster, page: page, jobs: jobs})
}

type pageHook struct {
	key  string
	page int
	jobs []Job
	done bool
}

// Requests returns what the sandbox has seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the requests seen so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.maxInFlight = 0
}

// TokensIssued counts the access tokens the token endpoint has issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokensIssued
}

// MaxInFlight is the largest number of requests the sandbox served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}
	rec := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Accept: r.Header.Get("Accept"),
		UserAgent: r.Header.Get("User-Agent"), Auth: "none"}
	sw := &statusWriter{ResponseWriter: w}
	// The request is logged as its answer starts, before a byte of it
	// leaves, so that a client holding its answer finds the request in
	// Requests(); logging when the handler returns could come after the
	// client has read a large answer. An answer never started (a hang the
	// client gave up on) is logged when the handler returns.
	var logOnce sync.Once
	logRequest := func() {
		logOnce.Do(func() {
			rec.Status = sw.status
			s.mu.Lock()
			s.requests = append(s.requests, *rec)
			s.mu.Unlock()
		})
	}
	sw.onStatus = logRequest
	defer logRequest()

	if r.URL.Path == "/api/oauth/token" {
		rec.Auth = "basic"
		s.serveToken(sw, r)
		return
	}
	route, ok := parseRoute(r.URL.Path)
	if !ok || r.Method != http.MethodGet {
		writeError(sw, http.StatusNotFound, "RESOURCE_NOT_FOUND", fmt.Sprintf("Cannot find resource %s.", r.URL.Path))
		return
	}
	if !s.authenticate(sw, r, rec) {
		return
	}
	if s.applyFault(sw, r, route) {
		return
	}
	if route.version == "v2" && !acceptsV2(r.Header.Get("Accept")) {
		writeError(sw, http.StatusNotAcceptable, "INVALID_ACCEPT_HEADER",
			"Invalid accept header or version date. Use application/vnd.atlas.2023-01-01+json.")
		return
	}
	if route.exportID != "" {
		s.serveJob(sw, route)
		return
	}
	s.serveList(sw, r, route)
}

type route struct {
	version, projectID, cluster, exportID string
}

// parseRoute matches /api/atlas/{v2|v1.0}/groups/{g}/clusters/{c}/backup/exports[/{id}], with or
// without the trailing slash the v1.0 documentation uses.
func parseRoute(path string) (route, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 9 || parts[0] != "api" || parts[1] != "atlas" || (parts[2] != "v2" && parts[2] != "v1.0") ||
		parts[3] != "groups" || parts[5] != "clusters" || parts[7] != "backup" || parts[8] != "exports" || len(parts) > 10 {
		return route{}, false
	}
	rt := route{version: parts[2], projectID: parts[4], cluster: parts[6]}
	if len(parts) == 10 {
		rt.exportID = parts[9]
	}
	return rt, true
}

func acceptsV2(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mediaType, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if mediaType == acceptV2 {
			return true
		}
	}
	return false
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	pageNum, ok := intParam(q, "pageNum", 1, 1, 1<<30)
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_PAGE_NUMBER", fmt.Sprintf("Invalid pageNum %q: it must be an integer of at least 1.", q.Get("pageNum")))
		return
	}
	itemsPerPage, ok := intParam(q, "itemsPerPage", 100, 1, 500)
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_ITEMS_PER_PAGE",
			fmt.Sprintf("Invalid itemsPerPage %q: it must be an integer from 1 to 500.", q.Get("itemsPerPage")))
		return
	}
	key := rt.projectID + "/" + rt.cluster
	s.mu.Lock()
	jobs, found := s.clusters[key]
	var page []Job
	total := len(jobs)
	if found {
		start := min((pageNum-1)*itemsPerPage, total)
		page = slices.Clone(jobs[start:min(start+itemsPerPage, total)])
		s.runPageHooksLocked(key, pageNum)
	}
	s.mu.Unlock()
	if !found {
		s.notFound(w, rt)
		return
	}
	body := struct {
		Links      []link `json:"links"`
		Results    []Job  `json:"results"`
		TotalCount int    `json:"totalCount"`
	}{Links: pageLinks(r, pageNum, itemsPerPage, total), Results: page, TotalCount: total}
	writeJSON(w, http.StatusOK, contentType(rt), body)
}

func (s *Server) runPageHooksLocked(key string, pageNum int) {
	for _, h := range s.afterPage {
		if !h.done && h.key == key && h.page == pageNum {
			h.done = true
			s.insertLocked(key, h.jobs)
		}
	}
}

func (s *Server) serveJob(w http.ResponseWriter, rt route) {
	s.mu.Lock()
	jobs, found := s.clusters[rt.projectID+"/"+rt.cluster]
	var job *Job
	for i := range jobs {
		if jobs[i].ID == rt.exportID {
			j := jobs[i]
			job = &j
		}
	}
	s.mu.Unlock()
	switch {
	case !found:
		s.notFound(w, rt)
	case job == nil:
		writeError(w, http.StatusNotFound, "EXPORT_JOB_NOT_FOUND",
			fmt.Sprintf("No export job with ID %s exists for cluster %s.", rt.exportID, rt.cluster))
	default:
		writeJSON(w, http.StatusOK, contentType(rt), job)
	}
}

func (s *Server) notFound(w http.ResponseWriter, rt route) {
	s.mu.Lock()
	projectKnown := false
	for key := range s.clusters {
		if strings.HasPrefix(key, rt.projectID+"/") {
			projectKnown = true
			break
		}
	}
	s.mu.Unlock()
	if !projectKnown {
		writeError(w, http.StatusNotFound, "GROUP_NOT_FOUND", fmt.Sprintf("No group with ID %s exists.", rt.projectID))
		return
	}
	writeError(w, http.StatusNotFound, "CLUSTER_NOT_FOUND",
		fmt.Sprintf("No cluster named %s exists in group %s.", rt.cluster, rt.projectID))
}

type link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

func pageLinks(r *http.Request, pageNum, itemsPerPage, total int) []link {
	href := func(n int) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		if r.TLS != nil {
			u.Scheme = "https"
		}
		u.RawQuery = fmt.Sprintf("includeCount=true&pageNum=%d&itemsPerPage=%d", n, itemsPerPage)
		return u.String()
	}
	links := []link{}
	if pageNum > 1 {
		links = append(links, link{Href: href(pageNum - 1), Rel: "previous"})
	}
	links = append(links, link{Href: href(pageNum), Rel: "self"})
	if pageNum*itemsPerPage < total {
		links = append(links, link{Href: href(pageNum + 1), Rel: "next"})
	}
	return links
}

func intParam(q url.Values, name string, def, lo, hi int) (int, bool) {
	raw := q.Get(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func contentType(rt route) string {
	if rt.version == "v1.0" {
		return contentTypeV1
	}
	return contentTypeV2
}

// authenticate verifies digest or bearer credentials; otherwise it answers
// the 401 challenge Atlas sends and reports false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rec *Request) bool {
	header := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(header, "Digest "):
		rec.Auth = "digest"
		if user, ok := s.verifyDigest(r, header); ok {
			if s.spendKeyBudget(user) {
				rec.Authenticated = true
				return true
			}
		}
	case strings.HasPrefix(header, "Bearer "):
		rec.Auth = "bearer"
		s.mu.Lock()
		expiry, ok := s.tokens[strings.TrimPrefix(header, "Bearer ")]
		s.mu.Unlock()
		if ok && time.Now().Before(expiry) {
			rec.Authenticated = true
			return true
		}
		writeError(w, http.StatusUnauthorized, "INVALID_BEARER_TOKEN", "The access token is invalid or has expired.")
		return false
	}
	nonce := s.newNonce()
	w.Header().Set("WWW-Authenticate",
		fmt.Sprintf(`Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=false`, Realm, nonce))
	if header == "" {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "You are not authorized for this resource.")
	} else {
		writeError(w, http.StatusUnauthorized, "USER_UNAUTHORIZED", "Current user is not authorized to perform this action.")
	}
	return false
}

func (s *Server) spendKeyBudget(public string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	budget, limited := s.keyBudget[public]
	if !limited {
		return true
	}
	if budget <= 0 {
		return false
	}
	s.keyBudget[public] = budget - 1
	return true
}

func (s *Server) newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for n, exp := range s.nonces {
		if now.After(exp) {
			delete(s.nonces, n)
			delete(s.nonceCounts, n)
			delete(s.highestNonceCount, n)
		}
	}
	s.nonces[nonce] = now.Add(5 * time.Minute)
	return nonce
}

// verifyDigest checks an RFC 7616 MD5 qop=auth answer against a nonce this
// server issued, and returns the user name.
func (s *Server) verifyDigest(r *http.Request, header string) (string, bool) {
	p := parseDigestParams(strings.TrimPrefix(header, "Digest "))
	s.mu.Lock()
	defer s.mu.Unlock()
	private, knownKey := s.keys[p["username"]]
	expiry, knownNonce := s.nonces[p["nonce"]]
	if !knownKey || !knownNonce || time.Now().After(expiry) || p["realm"] != Realm || p["qop"] != "auth" ||
		p["uri"] != r.URL.RequestURI() || (p["algorithm"] != "" && p["algorithm"] != "MD5") {
		return "", false
	}
	ha1 := md5hex(p["username"] + ":" + Realm + ":" + private)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":"))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) != 1 {
		return "", false
	}
	// A nonce count may serve once per nonce (replay protection, RFC 7616
	// 3.3); with SingleUseNonces the nonce itself serves once.
	used := s.nonceCounts[p["nonce"]]
	if used == nil {
		used = map[string]bool{}
		s.nonceCounts[p["nonce"]] = used
	}
	if used[p["nc"]] {
		return "", false
	}
	if s.StrictNonceCounts {
		nc, err := strconv.ParseUint(p["nc"], 16, 32)
		if err != nil || nc <= s.highestNonceCount[p["nonce"]] {
			return "", false
		}
		s.highestNonceCount[p["nonce"]] = nc
	}
	used[p["nc"]] = true
	if s.SingleUseNonces {
		delete(s.nonces, p["nonce"])
		delete(s.nonceCounts, p["nonce"])
		delete(s.highestNonceCount, p["nonce"])
	}
	return p["username"], true
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // the protocol's hash
	return hex.EncodeToString(sum[:])
}

// parseDigestParams splits `k="v", k2=v2` pairs; values may be quoted. The
// sandbox has its own parser rather than the client's, so that one bug
// cannot hide on both sides of the exchange.
func parseDigestParams(s string) map[string]string {
	params := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,")
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			value, s = rest[1:1+end], rest[2+end:]
		} else {
			value, s, _ = strings.Cut(rest, ",")
		}
		params[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	return params
}

// serveToken is POST /api/oauth/token: client credentials in HTTP Basic,
// grant_type=client_credentials in the form.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Use POST.")
		return
	}
	if s.applyFault(w, r, route{}) {
		return
	}
	id, secret, ok := r.BasicAuth()
	s.mu.Lock()
	want, known := s.serviceAccounts[id]
	s.mu.Unlock()
	if !ok || !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, "application/json",
			map[string]string{"error": "invalid_client", "error_description": "Invalid client credentials."})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, "application/json",
			map[string]string{"error": "unsupported_grant_type", "error_description": "Use grant_type=client_credentials."})
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[token] = time.Now().Add(s.TokenLifetime)
	s.tokensIssued++
	lifetime := s.TokenLifetime
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime.Seconds()),
	})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, body any) {
	// Atlas does not escape & < > in its JSON (its links carry query strings).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeError answers in Atlas's error envelope.
func writeError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, contentTypeError, map[string]any{
		"detail": detail, "error": status, "errorCode": code, "parameters": []any{}, "reason": http.StatusText(status),
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	// onStatus runs once the status is known, before it is sent.
	onStatus func()
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if w.onStatus != nil {
			w.onStatus()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to cut it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
