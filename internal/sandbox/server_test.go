package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"
)

// startSeeded serves a seeded sandbox for one test; configure runs before it
// serves.
func startSeeded(t *testing.T, configure ...func(*Server)) (*Server, *httptest.Server) {
	t.Helper()
	s := New()
	for _, c := range configure {
		c(s)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// digestClient answers the sandbox's challenges with the sandbox key pair.
func digestClient() *http.Client {
	return &http.Client{Transport: digest.NewTransport(PublicKey, PrivateKey)}
}

func exportsPath(version, project, cluster string) string {
	return fmt.Sprintf("/api/atlas/%s/groups/%s/clusters/%s/backup/exports", version, project, cluster)
}

// get sends a GET with the v2 Accept header (or accept) and returns the
// answer with its body read.
func get(t *testing.T, client *http.Client, rawURL string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", acceptV2)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", rawURL, err)
	}
	return resp, body
}

// errorCode is the errorCode of an Atlas error envelope.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var envelope struct {
		Error     int    `json:"error"`
		ErrorCode string `json:"errorCode"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		t.Fatalf("not an error envelope: %s", body)
	}
	return envelope.ErrorCode
}

// listPage is the sandbox's answer to the list operation.
type listPage struct {
	Links      []link `json:"links"`
	Results    []Job  `json:"results"`
	TotalCount *int   `json:"totalCount"`
}

func decodePage(t *testing.T, body []byte) listPage {
	t.Helper()
	var page listPage
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("not a page: %v: %s", err, body)
	}
	return page
}

// TestServer_digestChallengeAndVerification: an unauthenticated request gets
// Atlas's challenge; only a correct answer to a nonce the sandbox issued,
// for this very URI, gets through; a nonce may be answered again with a new
// count, as clients that answer ahead of time do.
func TestServer_digestChallengeAndVerification(t *testing.T) {
	_, srv := startSeeded(t)
	path := exportsPath("v2", ProjectID, ClusterReplicaSet)

	resp, body := get(t, http.DefaultClient, srv.URL+path)
	challenge := parseDigestParams(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Digest "))
	if resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != "" ||
		challenge["realm"] != Realm || challenge["qop"] != "auth" || challenge["algorithm"] != "MD5" || len(challenge["nonce"]) != 32 {
		t.Fatalf("challenge: %d %s, WWW-Authenticate %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	nonce := challenge["nonce"]

	answer := func(user, password, realm, nonce, uri, nc, qop, algorithm string) string {
		ha1 := md5hex(user + ":" + realm + ":" + password)
		ha2 := md5hex(http.MethodGet + ":" + uri)
		response := md5hex(strings.Join([]string{ha1, nonce, nc, "0a4f113b", qop, ha2}, ":"))
		return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", qop=%s, nc=%s, cnonce="0a4f113b", algorithm=%s`,
			user, realm, nonce, uri, response, qop, nc, algorithm)
	}
	cases := map[string]struct {
		header     string
		wantStatus int
	}{
		"correct":                {answer(PublicKey, PrivateKey, Realm, nonce, path, "00000001", "auth", "MD5"), http.StatusOK},
		"same nonce, next count": {answer(PublicKey, PrivateKey, Realm, nonce, path, "00000002", "auth", "MD5"), http.StatusOK},
		"wrong private key":      {answer(PublicKey, "wrong", Realm, nonce, path, "00000003", "auth", "MD5"), http.StatusUnauthorized},
		"unknown public key":     {answer("nobody", PrivateKey, Realm, nonce, path, "00000003", "auth", "MD5"), http.StatusUnauthorized},
		"nonce never issued":     {answer(PublicKey, PrivateKey, Realm, strings.Repeat("0", 32), path, "00000001", "auth", "MD5"), http.StatusUnauthorized},
		"another URI":            {answer(PublicKey, PrivateKey, Realm, nonce, exportsPath("v2", ProjectID, ClusterSharded), "00000003", "auth", "MD5"), http.StatusUnauthorized},
		"another realm":          {answer(PublicKey, PrivateKey, "other", nonce, path, "00000003", "auth", "MD5"), http.StatusUnauthorized},
		"qop auth-int":           {answer(PublicKey, PrivateKey, Realm, nonce, path, "00000003", "auth-int", "MD5"), http.StatusUnauthorized},
		"algorithm SHA-256":      {answer(PublicKey, PrivateKey, Realm, nonce, path, "00000003", "auth", "SHA-256"), http.StatusUnauthorized},
		"basic":                  {"Basic " + PublicKey, http.StatusUnauthorized},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, http.DefaultClient, srv.URL+path, "Authorization", tc.header)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("a refused answer comes without a fresh challenge")
			}
		})
	}
}

// TestServer_listPaging: pages of itemsPerPage jobs (100 by default), newest
// first, with Atlas's totalCount and links, and an empty page past the end.
func TestServer_listPaging(t *testing.T) {
	s, srv := startSeeded(t)
	all := GenerateJobs(ClusterGenerated, GeneratedJobs, 1)
	sortJobs(all)
	base := srv.URL + exportsPath("v2", ProjectID, ClusterGenerated)
	cases := map[string]struct {
		query     string
		wantFirst int // index in all of the first job; -1 for an empty page
		wantLen   int
		wantRels  []string
	}{
		"defaults":             {"", 0, 100, []string{"self", "next"}},
		"page 2 of 500":        {"?pageNum=2&itemsPerPage=500", 500, 500, []string{"previous", "self", "next"}},
		"last page":            {"?pageNum=6&itemsPerPage=500", 2500, 500, []string{"previous", "self"}},
		"past the end":         {"?pageNum=7&itemsPerPage=500", -1, 0, []string{"previous", "self"}},
		"one job a page":       {"?pageNum=3000&itemsPerPage=1", 2999, 1, []string{"previous", "self"}},
		"short last page of 7": {"?pageNum=429&itemsPerPage=7", 2996, 4, []string{"previous", "self"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, digestClient(), base+tc.query)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentTypeV2 {
				t.Fatalf("%d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			page := decodePage(t, body)
			if page.TotalCount == nil || *page.TotalCount != GeneratedJobs || len(page.Results) != tc.wantLen {
				t.Fatalf("totalCount %v, %d results; want %d, %d", page.TotalCount, len(page.Results), GeneratedJobs, tc.wantLen)
			}
			if tc.wantLen > 0 && (page.Results[0].ID != all[tc.wantFirst].ID || page.Results[tc.wantLen-1].ID != all[tc.wantFirst+tc.wantLen-1].ID) {
				t.Errorf("page runs from %s to %s, want %s to %s", page.Results[0].ID, page.Results[tc.wantLen-1].ID, all[tc.wantFirst].ID, all[tc.wantFirst+tc.wantLen-1].ID)
			}
			var rels []string
			for _, l := range page.Links {
				rels = append(rels, l.Rel)
				u, err := url.Parse(l.Href)
				if err != nil || !strings.HasPrefix(l.Href, base) || u.Query().Get("itemsPerPage") == "" {
					t.Errorf("link %+v does not point at this list", l)
				}
			}
			if strings.Join(rels, ",") != strings.Join(tc.wantRels, ",") {
				t.Errorf("links %v, want %v", rels, tc.wantRels)
			}
		})
	}
	if len(s.Requests()) == 0 {
		t.Errorf("no request logged")
	}
}

// TestServer_errors: Atlas's error envelope for bad paging, unknown
// resources, a v2 request without the versioned media type and other
// methods.
func TestServer_errors(t *testing.T) {
	_, srv := startSeeded(t)
	list := exportsPath("v2", ProjectID, ClusterSharded)
	cases := map[string]struct {
		path, accept string
		wantStatus   int
		wantCode     string
	}{
		"pageNum 0":                  {list + "?pageNum=0", acceptV2, http.StatusBadRequest, "VALIDATION_ERROR"},
		"pageNum text":               {list + "?pageNum=two", acceptV2, http.StatusBadRequest, "VALIDATION_ERROR"},
		"itemsPerPage 0":             {list + "?itemsPerPage=0", acceptV2, http.StatusBadRequest, "VALIDATION_ERROR"},
		"itemsPerPage 501":           {list + "?itemsPerPage=501", acceptV2, http.StatusBadRequest, "VALIDATION_ERROR"},
		"unknown project":            {exportsPath("v2", "0123456789abcdef01234567", ClusterSharded), acceptV2, http.StatusNotFound, "GROUP_NOT_FOUND"},
		"unknown cluster":            {exportsPath("v2", ProjectID, "nope"), acceptV2, http.StatusNotFound, "CLUSTER_NOT_FOUND"},
		"unknown job":                {list + "/0123456789abcdef01234567", acceptV2, http.StatusNotFound, "RESOURCE_NOT_FOUND"},
		"unknown resource":           {"/api/atlas/v2/groups/" + ProjectID + "/clusters", acceptV2, http.StatusNotFound, "RESOURCE_NOT_FOUND"},
		"unknown API version":        {exportsPath("v3", ProjectID, ClusterSharded), acceptV2, http.StatusNotFound, "RESOURCE_NOT_FOUND"},
		"v2 with application/json":   {list, "application/json", http.StatusNotAcceptable, "INVALID_VERSION_DATE"},
		"v2 with another version":    {list, "application/vnd.atlas.2025-03-12+json", http.StatusNotAcceptable, "INVALID_VERSION_DATE"},
		"v2 media type among others": {list, "application/json, application/vnd.atlas.2023-01-01+json;q=0.9", http.StatusOK, ""},
		"v1.0 with application/json": {exportsPath("v1.0", ProjectID, ClusterSharded), "application/json", http.StatusOK, ""},
		"v1.0 with a trailing slash": {exportsPath("v1.0", ProjectID, ClusterSharded) + "/", "application/json", http.StatusOK, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, digestClient(), srv.URL+tc.path, "Accept", tc.accept)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantCode == "" {
				return
			}
			if got := errorCode(t, body); got != tc.wantCode || resp.Header.Get("Content-Type") != contentTypeError {
				t.Errorf("errorCode %q with %q, want %q with %q", got, resp.Header.Get("Content-Type"), tc.wantCode, contentTypeError)
			}
		})
	}
}

// token asks the token endpoint for an access token of the sandbox's
// service account (ClientID) with secret.
func token(t *testing.T, srv *httptest.Server, method, secret, grant string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/api/oauth/token", strings.NewReader(url.Values{"grant_type": {grant}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ClientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestServer_serviceAccount: the token endpoint takes the client credentials
// in HTTP Basic and issues bearer tokens that last TokenLifetime.
func TestServer_serviceAccount(t *testing.T) {
	cases := map[string]struct {
		method, secret, grant string
		wantStatus            int
		wantError             string
	}{
		"issued":       {http.MethodPost, ClientSecret, "client_credentials", http.StatusOK, ""},
		"wrong secret": {http.MethodPost, "wrong", "client_credentials", http.StatusUnauthorized, "invalid_client"},
		"other grant":  {http.MethodPost, ClientSecret, "password", http.StatusBadRequest, "unsupported_grant_type"},
		"GET":          {http.MethodGet, ClientSecret, "client_credentials", http.StatusMethodNotAllowed, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, srv := startSeeded(t)
			status, body := token(t, srv, tc.method, tc.secret, tc.grant)
			if status != tc.wantStatus || (tc.wantError != "" && body["error"] != tc.wantError) {
				t.Fatalf("%d %v, want %d with error %q", status, body, tc.wantStatus, tc.wantError)
			}
			wantIssued := 0
			if status == http.StatusOK {
				wantIssued = 1
				if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
					t.Errorf("token answer %v, want a Bearer token for 3600 s", body)
				}
			}
			if s.TokensIssued() != wantIssued {
				t.Errorf("TokensIssued = %d, want %d", s.TokensIssued(), wantIssued)
			}
		})
	}

	t.Run("bearer tokens", func(t *testing.T) {
		s, srv := startSeeded(t)
		_, body := token(t, srv, http.MethodPost, ClientSecret, "client_credentials")
		access, _ := body["access_token"].(string)
		list := srv.URL + exportsPath("v2", ProjectID, ClusterSharded)
		if resp, body := get(t, http.DefaultClient, list, "Authorization", "Bearer "+access); resp.StatusCode != http.StatusOK {
			t.Fatalf("a fresh token: %d %s", resp.StatusCode, body)
		}
		if resp, body := get(t, http.DefaultClient, list, "Authorization", "Bearer made-up"); resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != "" {
			t.Errorf("a made-up token: %d %s", resp.StatusCode, body)
		}
		s.ExpireTokens()
		if resp, body := get(t, http.DefaultClient, list, "Authorization", "Bearer "+access); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("an expired token: %d %s", resp.StatusCode, body)
		}
		var auths []string
		for _, r := range s.Requests() {
			auths = append(auths, fmt.Sprintf("%s:%v", r.Auth, r.Authenticated))
		}
		if got := strings.Join(auths, " "); got != "basic:false bearer:true bearer:false bearer:false" {
			t.Errorf("requests logged as %s", got)
		}
	})
}

// TestServer_faults: a fault matches its cluster, page and endpoint, fires
// Times times, and answers as scripted.
func TestServer_faults(t *testing.T) {
	list := func(cluster string) string { return exportsPath("v2", ProjectID, cluster) }
	cases := map[string]struct {
		fault      Fault
		path       string
		wantStatus []int // of successive requests
		wantFired  int
		check      func(t *testing.T, resp *http.Response, body []byte)
	}{
		"twice, then the normal answer": {
			fault: Fault{Status: http.StatusServiceUnavailable, Times: 2}, path: list(ClusterSharded),
			wantStatus: []int{503, 503, 200}, wantFired: 2,
		},
		"for ever": {
			fault: Fault{Status: http.StatusInternalServerError}, path: list(ClusterSharded),
			wantStatus: []int{500, 500, 500, 500}, wantFired: 4,
		},
		"another cluster": {
			fault: Fault{Cluster: ClusterGenerated, Status: http.StatusInternalServerError}, path: list(ClusterSharded),
			wantStatus: []int{200},
		},
		"another page": {
			fault: Fault{Page: 2, Status: http.StatusInternalServerError}, path: list(ClusterSharded) + "?pageNum=1",
			wantStatus: []int{200},
		},
		"its page": {
			fault: Fault{Page: 2, Status: http.StatusInternalServerError}, path: list(ClusterSharded) + "?pageNum=2",
			wantStatus: []int{500}, wantFired: 1,
		},
		"page faults skip single jobs": {
			fault: Fault{Page: 1, Status: http.StatusInternalServerError}, path: list(ClusterSharded) + "/" + DocsShardedJobs()[0].ID,
			wantStatus: []int{200},
		},
		"token endpoint faults skip the API": {
			fault: Fault{TokenEndpoint: true, Status: http.StatusInternalServerError}, path: list(ClusterSharded),
			wantStatus: []int{200},
		},
		"rate limited with Retry-After": {
			fault: Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"}, path: list(ClusterSharded),
			wantStatus: []int{429}, wantFired: 1,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				if resp.Header.Get("Retry-After") != "7" || errorCode(t, body) != "RATE_LIMITED" {
					t.Errorf("Retry-After %q, body %s", resp.Header.Get("Retry-After"), body)
				}
			},
		},
		"a proxy's HTML page": {
			fault: Fault{Status: http.StatusBadGateway, HTML: true}, path: list(ClusterSharded),
			wantStatus: []int{502}, wantFired: 1,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "502 Bad Gateway") {
					t.Errorf("%q: %s", resp.Header.Get("Content-Type"), body)
				}
			},
		},
		"a body verbatim": {
			fault: Fault{Status: http.StatusOK, Body: `{"results":[]}`, ContentType: "application/json"}, path: list(ClusterSharded),
			wantStatus: []int{200}, wantFired: 1,
			check: func(t *testing.T, resp *http.Response, body []byte) {
				if resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"results":[]}` {
					t.Errorf("%q: %s", resp.Header.Get("Content-Type"), body)
				}
			},
		},
		"a hang, then the normal answer": {
			fault: Fault{Hang: 50 * time.Millisecond, Times: 1}, path: list(ClusterSharded),
			wantStatus: []int{200, 200}, wantFired: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, srv := startSeeded(t)
			s.AddFault(tc.fault)
			client := digestClient()
			for i, want := range tc.wantStatus {
				resp, body := get(t, client, srv.URL+tc.path)
				if resp.StatusCode != want {
					t.Fatalf("request %d: status %d (%s), want %d", i+1, resp.StatusCode, body, want)
				}
				if tc.check != nil {
					tc.check(t, resp, body)
				}
			}
			if s.FaultsFired() != tc.wantFired {
				t.Errorf("FaultsFired = %d, want %d", s.FaultsFired(), tc.wantFired)
			}
			s.ClearFaults()
			if resp, body := get(t, client, srv.URL+tc.path); resp.StatusCode != http.StatusOK {
				t.Errorf("after ClearFaults: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestServer_truncatedAnswer: a Truncate fault announces the whole answer's
// length and sends half of it.
func TestServer_truncatedAnswer(t *testing.T) {
	s, srv := startSeeded(t)
	s.AddFault(Fault{Truncate: true, Times: 1})
	req, err := http.NewRequest(http.MethodGet, srv.URL+exportsPath("v2", ProjectID, ClusterGenerated), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", acceptV2)
	resp, err := digestClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != io.ErrUnexpectedEOF || int64(len(body)) >= resp.ContentLength || len(body) == 0 {
		t.Errorf("status %d, %d of %d bytes, %v; want 200 cut short with io.ErrUnexpectedEOF", resp.StatusCode, len(body), resp.ContentLength, err)
	}
}

// TestServer_insertAfterPage: the jobs appear once the page has been served
// for the first time, and only once.
func TestServer_insertAfterPage(t *testing.T) {
	s, srv := startSeeded(t)
	newJob := Job{ID: "7fffffffffffffffffffffff", CreatedAt: "2030-01-01T00:00:00Z", ExportBucketID: bucketID}
	s.InsertAfterPage(ProjectID, ClusterSharded, 1, newJob)
	page := func() listPage {
		_, body := get(t, digestClient(), srv.URL+exportsPath("v2", ProjectID, ClusterSharded)+"?pageNum=1&itemsPerPage=1")
		return decodePage(t, body)
	}
	first, second, third := page(), page(), page()
	if first.Results[0].ID != DocsShardedJobs()[0].ID || *first.TotalCount != 2 {
		t.Errorf("first serving: %+v, want the page as it was", first)
	}
	if second.Results[0].ID != newJob.ID || *second.TotalCount != 3 || *third.TotalCount != 3 {
		t.Errorf("later servings: %+v, %+v; want the new job first, 3 jobs, inserted once", second, third)
	}
}

// TestServer_revokeKeyAfter: a key authenticates n more requests, then gets
// 401 as a deleted key does.
func TestServer_revokeKeyAfter(t *testing.T) {
	s, srv := startSeeded(t)
	s.RevokeKeyAfter(PublicKey, 2)
	var got []int
	for range 3 {
		resp, _ := get(t, digestClient(), srv.URL+exportsPath("v2", ProjectID, ClusterSharded))
		got = append(got, resp.StatusCode)
	}
	if fmt.Sprint(got) != "[200 200 401]" {
		t.Errorf("statuses %v, want [200 200 401]", got)
	}
}

// smallBuffers accepts connections whose send buffer is a few KiB, so that a
// handler writing a large answer blocks until the client reads it.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(4 << 10)
	}
	return conn, err
}

// TestServer_requestLoggedBeforeItsAnswer: a client holding an answer finds
// its request in Requests(), even while the answer is still being sent.
func TestServer_requestLoggedBeforeItsAnswer(t *testing.T) {
	s := New()
	srv := httptest.NewUnstartedServer(s)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	dialer := &net.Dialer{}
	client := &http.Client{Transport: digest.NewTransportWithHTTPTransport(PublicKey, PrivateKey, &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetReadBuffer(4 << 10)
			}
			return conn, err
		},
	})}
	req, err := http.NewRequest(http.MethodGet, srv.URL+exportsPath("v2", ProjectID, ClusterGenerated)+"?itemsPerPage=150", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", acceptV2)
	resp, err := client.Do(req) // returns with the headers; the 60 kB body waits
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	requests := s.Requests()

	if len(requests) != 2 || requests[1].Status != http.StatusOK || !requests[1].Authenticated {
		t.Errorf("with the answer's headers in hand, the log is %+v; want the challenge and the authenticated request", requests)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
}

// TestServer_maxInFlight counts requests served at once, and ResetRequests
// starts the count again.
func TestServer_maxInFlight(t *testing.T) {
	s, srv := startSeeded(t, func(s *Server) { s.Latency = 300 * time.Millisecond })
	done := make(chan struct{})
	for range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			resp, err := http.Get(srv.URL + "/api/atlas/v2/nothing")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	for range 3 {
		<-done
	}
	if got := s.MaxInFlight(); got != 3 {
		t.Errorf("MaxInFlight = %d after 3 parallel requests of 300 ms, want 3", got)
	}
	s.ResetRequests()
	if s.MaxInFlight() != 0 || len(s.Requests()) != 0 {
		t.Errorf("after ResetRequests: MaxInFlight %d, %d requests", s.MaxInFlight(), len(s.Requests()))
	}
}

// TestServer_latencyEndsWithTheClient: a client that gives up ends the
// Latency wait, on the token endpoint (a POST with a body) as on a GET.
func TestServer_latencyEndsWithTheClient(t *testing.T) {
	cases := map[string]func(url string) (*http.Request, error){
		"token POST": func(url string) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, url+"/api/oauth/token", strings.NewReader("grant_type=client_credentials"))
		},
		"list GET": func(url string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, url+exportsPath("v2", ProjectID, ClusterSharded), nil)
		},
	}
	for name, newRequest := range cases {
		t.Run(name, func(t *testing.T) {
			s, srv := startSeeded(t, func(s *Server) { s.Latency = 30 * time.Second })
			req, err := newRequest(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
				resp.Body.Close()
				t.Fatalf("answered %d within the latency", resp.StatusCode)
			}
			// A wait the client cannot end would keep the handler for the
			// whole latency.
			for deadline := time.Now().Add(10 * time.Second); s.handling() > 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the handler still waits, 10 s after the client gave up")
				}
			}
		})
	}
}

// handling is the number of requests whose handler has not returned.
func (s *Server) handling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}
