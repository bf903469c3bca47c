package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mongodb-forks/digest"
)

// These tests hold the sandbox to the recordings (shared/atlas-recordings)
// and the contract (shared/atlas-openapi): the shapes of its answers, not
// what a client hopes to read.

// envelope decodes an error answer into its keys.
func envelope(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return e
}

// TestServer_defaultJobBody: a job given without exportStatus or customData
// is served with {"exportedCollections":0,"totalCollections":0} and [], as
// every recorded job body has them, in the list and the get; what a job
// says is served as it says it.
func TestServer_defaultJobBody(t *testing.T) {
	s, srv := startSeeded(t)
	bare := Job{ID: "6a7945592c88faeba59d5e8e", ExportBucketID: BucketAWS, State: "Queued", CreatedAt: "2026-08-01T00:00:00Z"}
	said := Job{ID: "6a7945592c88faeba59d5e8f", ExportBucketID: BucketAWS, State: "InProgress", CreatedAt: "2026-07-01T00:00:00Z",
		ExportStatus: &ExportStatus{ExportedCollections: 2, TotalCollections: 5}, CustomData: &[]Label{{Key: "k", Value: "v"}}}
	s.SetJobs(ProjectID, "defaults", []Job{bare, said})
	list := srv.URL + exportsPath("v2", ProjectID, "defaults")

	_, body := get(t, digestClient(), list)
	var page struct{ Results []map[string]json.RawMessage }
	if err := json.Unmarshal(body, &page); err != nil || len(page.Results) != 2 {
		t.Fatalf("page: %v %s", err, body)
	}
	_, one := get(t, digestClient(), list+"/"+bare.ID)
	var got map[string]json.RawMessage
	if err := json.Unmarshal(one, &got); err != nil {
		t.Fatal(err)
	}
	for name, job := range map[string]map[string]json.RawMessage{"listed": page.Results[0], "got": got} {
		if string(job["exportStatus"]) != `{"exportedCollections":0,"totalCollections":0}` || string(job["customData"]) != `[]` {
			t.Errorf("%s bare job: exportStatus %s, customData %s; want 0/0 and []", name, job["exportStatus"], job["customData"])
		}
	}
	if string(page.Results[1]["exportStatus"]) != `{"exportedCollections":2,"totalCollections":5}` ||
		string(page.Results[1]["customData"]) != `[{"key":"k","value":"v"}]` {
		t.Errorf("a job's own values: exportStatus %s, customData %s", page.Results[1]["exportStatus"], page.Results[1]["customData"])
	}
}

// TestSeededJobs_asRecorded: every seeded and generated job has exportStatus
// and customData, and no stateReason carries a code made up as if it were
// Atlas's.
func TestSeededJobs_asRecorded(t *testing.T) {
	all := slices.Concat(DocsReplicaSetJobs(), DocsShardedJobs(), BucketKindsJobs(), ReexportedJobs(), GenerateJobs(ClusterGenerated, GeneratedJobs, 1))
	for _, j := range all {
		encoded, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(encoded, &keys); err != nil {
			t.Fatal(err)
		}
		if keys["exportStatus"] == nil || keys["customData"] == nil {
			t.Errorf("job %s lacks exportStatus or customData: %s", j.ID, encoded)
		}
		if j.StateReason != nil && j.StateReason.ErrorCode != SandboxStateReasonCode {
			t.Errorf("job %s: stateReason %+v; the sandbox's made-up code is %s", j.ID, j.StateReason, SandboxStateReasonCode)
		}
	}
}

// TestServer_unauthenticated: a request without credentials, or with a wrong
// digest answer, or with a bearer token the sandbox did not issue, gets 401
// and an ApiError without errorCode; the digest refusals carry a challenge.
func TestServer_unauthenticated(t *testing.T) {
	_, srv := startSeeded(t)
	list := srv.URL + exportsPath("v2", ProjectID, ClusterSharded)
	for name, tc := range map[string]struct {
		client    *http.Client
		header    []string
		challenge bool
	}{
		"no credentials":    {http.DefaultClient, nil, true},
		"wrong private key": {&http.Client{Transport: digest.NewTransport(PublicKey, "wrong")}, nil, true},
		"unknown token":     {http.DefaultClient, []string{"Authorization", "Bearer made-up"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, tc.client, list, tc.header...)
			e := envelope(t, body)
			want := map[string]any{"detail": "You are not authorized for this resource.", "error": float64(401), "reason": "Unauthorized"}
			if resp.StatusCode != http.StatusUnauthorized || !reflect.DeepEqual(e, want) {
				t.Errorf("%d %s; want 401 %v", resp.StatusCode, body, want)
			}
			if got := strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Digest "); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q; want a digest challenge: %v", resp.Header.Get("WWW-Authenticate"), tc.challenge)
			}
		})
	}
}

// TestServer_roles: a credential given roles may do what those roles allow
// (x-rolesRequirements: export jobs need Project Backup Manager, a bucket GET
// Project Read Only) and gets 401 USER_UNAUTHORIZED for the rest; Project
// Owner allows everything; AddKey and AddServiceAccount give Project Owner.
func TestServer_roles(t *testing.T) {
	s, srv := startSeeded(t, func(s *Server) {
		s.AddKeyWithRoles("readonly", "secret-1", RoleProjectReadOnly)
		s.AddKeyWithRoles("backupmg", "secret-2", RoleProjectBackupManager)
		s.AddKeyWithRoles("owner", "secret-3", RoleProjectOwner)
		s.AddKeyWithRoles("noroles", "secret-4")
		s.AddServiceAccountWithRoles("mdb_sa_id_readonly", "sa-secret", RoleProjectReadOnly)
	})
	list := srv.URL + exportsPath("v2", ProjectID, ClusterSharded)
	job := list + "/" + DocsShardedJobs()[0].ID
	v1 := srv.URL + exportsPath("v1.0", ProjectID, ClusterSharded)
	bucket := srv.URL + bucketPath(ProjectID, BucketAWS)
	token := s.IssueAccessToken("mdb_sa_id_readonly")
	digestAs := func(public, private string) func(string) (*http.Response, []byte) {
		return func(u string) (*http.Response, []byte) {
			return get(t, &http.Client{Transport: digest.NewTransport(public, private)}, u, "Accept", acceptV2+","+acceptBuckets2024)
		}
	}
	bearer := func(u string) (*http.Response, []byte) {
		return get(t, http.DefaultClient, u, "Accept", acceptV2+","+acceptBuckets2024, "Authorization", "Bearer "+token)
	}
	for name, tc := range map[string]struct {
		do   func(string) (*http.Response, []byte)
		want map[string]int // URL -> status
	}{
		"Project Read Only":      {digestAs("readonly", "secret-1"), map[string]int{list: 401, job: 401, v1: 401, bucket: 200}},
		"Project Backup Manager": {digestAs("backupmg", "secret-2"), map[string]int{list: 200, job: 200, v1: 200, bucket: 401}},
		"Project Owner":          {digestAs("owner", "secret-3"), map[string]int{list: 200, job: 200, v1: 200, bucket: 200}},
		"no role":                {digestAs("noroles", "secret-4"), map[string]int{list: 401, job: 401, v1: 401, bucket: 401}},
		"AddKey":                 {digestAs(PublicKey, PrivateKey), map[string]int{list: 200, job: 200, v1: 200, bucket: 200}},
		"service account":        {bearer, map[string]int{list: 401, job: 401, v1: 401, bucket: 200}},
	} {
		t.Run(name, func(t *testing.T) {
			for u, want := range tc.want {
				resp, body := tc.do(u)
				if resp.StatusCode != want {
					t.Errorf("GET %s: %d %s; want %d", u, resp.StatusCode, body, want)
					continue
				}
				if want != 401 {
					continue
				}
				e := envelope(t, body)
				if e["errorCode"] != "USER_UNAUTHORIZED" || e["detail"] != "Current user is not authorized to perform this action." ||
					resp.Header.Get("WWW-Authenticate") != "" {
					t.Errorf("GET %s: %s, WWW-Authenticate %q; want USER_UNAUTHORIZED and no challenge", u, body, resp.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	refused := s.CountRequests(func(r Request) bool { return r.Authenticated && r.Status == http.StatusUnauthorized })
	if refused != 11 { // 3 of Read Only, 1 of Backup Manager, 4 without a role, 3 of the service account
		t.Errorf("%d authenticated requests refused for a role; want 11", refused)
	}
}

// TestServer_errorShapes: Atlas's status and code for each mistake, with
// the values the error is about in parameters, as the recorded 400 has them.
func TestServer_errorShapes(t *testing.T) {
	_, srv := startSeeded(t)
	list := exportsPath("v2", ProjectID, ClusterSharded)
	const unknownID = "0123456789abcdef01234567"
	for name, tc := range map[string]struct {
		path, accept string
		wantStatus   int
		wantCode     string
		wantParams   []any
	}{
		"v2 with application/json": {list, "application/json", 406, "INVALID_VERSION_DATE", []any{"application/json"}},
		"bucket with another date": {bucketPath(ProjectID, BucketAWS), "application/vnd.atlas.2025-03-12+json", 406, "INVALID_VERSION_DATE",
			[]any{"application/vnd.atlas.2025-03-12+json"}},
		"unknown project": {exportsPath("v2", unknownID, ClusterSharded), acceptV2, 404, "GROUP_NOT_FOUND", []any{unknownID}},
		"unknown cluster": {exportsPath("v2", ProjectID, "nope"), acceptV2, 404, "CLUSTER_NOT_FOUND", []any{"nope", ProjectID}},
		"unknown job":     {list + "/" + unknownID, acceptV2, 404, "RESOURCE_NOT_FOUND", []any{unknownID}},
		"unknown bucket": {bucketPath(ProjectID, unknownID), acceptBuckets2024, 404, "EXPORT_BUCKET_NOT_FOUND",
			[]any{unknownID}},
		"itemsPerPage 501": {list + "?itemsPerPage=501", acceptV2, 400, "VALIDATION_ERROR", []any{"itemsPerPage", "501"}},
		"pageNum 0":        {list + "?pageNum=0", acceptV2, 400, "VALIDATION_ERROR", []any{"pageNum", "0"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, digestClient(), srv.URL+tc.path, "Accept", tc.accept)
			e := envelope(t, body)
			if resp.StatusCode != tc.wantStatus || e["errorCode"] != tc.wantCode || !reflect.DeepEqual(e["parameters"], tc.wantParams) {
				t.Errorf("%d %s; want %d %s with parameters %v", resp.StatusCode, body, tc.wantStatus, tc.wantCode, tc.wantParams)
			}
		})
	}
}

// TestServer_noInventedCodes: every errorCode the sandbox sends of its own
// accord is one the recordings, the contract's examples or Atlas's error
// table show.
func TestServer_noInventedCodes(t *testing.T) {
	known := []string{
		"USER_UNAUTHORIZED", "IP_ADDRESS_NOT_ON_ACCESS_LIST", "RATE_LIMITED", "INVALID_VERSION_DATE", // recorded or quoted
		"GROUP_NOT_FOUND", "CLUSTER_NOT_FOUND", "EXPORT_BUCKET_NOT_FOUND", // Atlas's error table
		"RESOURCE_NOT_FOUND", "VALIDATION_ERROR", "UNEXPECTED_ERROR", // the contract's examples
	}
	for _, status := range []int{400, 401, 403, 404, 409, 429, 500, 502, 503, 504} {
		if code := defaultErrorCode(status); !slices.Contains(known, code) {
			t.Errorf("a scripted %d answers errorCode %s, which is on no record", status, code)
		}
	}
}

// TestServer_maxItemsPerPage: a server that caps pages serves at most
// MaxItemsPerPage jobs whatever itemsPerPage asks, with the whole count and
// links built from the size it serves.
func TestServer_maxItemsPerPage(t *testing.T) {
	s, srv := startSeeded(t, func(s *Server) { s.MaxItemsPerPage = 100 })
	s.SetJobs(ProjectID, "capped", GenerateJobs("capped", 1234, 3))
	all := GenerateJobs("capped", 1234, 3)
	sortJobs(all)
	base := srv.URL + exportsPath("v2", ProjectID, "capped")
	for name, tc := range map[string]struct {
		query     string
		wantFirst int
		wantLen   int
		wantLinks []string // rel:pageNum:itemsPerPage
	}{
		"page 1 of 500 asked":  {"?pageNum=1&itemsPerPage=500", 0, 100, []string{"self:1:100", "next:2:100"}},
		"page 2 of 500 asked":  {"?pageNum=2&itemsPerPage=500", 100, 100, []string{"previous:1:100", "self:2:100", "next:3:100"}},
		"last page":            {"?pageNum=13&itemsPerPage=500", 1200, 34, []string{"previous:12:100", "self:13:100"}},
		"under the cap":        {"?pageNum=2&itemsPerPage=50", 50, 50, []string{"previous:1:50", "self:2:50", "next:3:50"}},
		"default itemsPerPage": {"", 0, 100, []string{"self:1:100", "next:2:100"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, body := get(t, digestClient(), base+tc.query)
			page := decodePage(t, body)
			if page.TotalCount == nil || *page.TotalCount != 1234 || len(page.Results) != tc.wantLen {
				t.Fatalf("totalCount %v, %d results; want 1234, %d", page.TotalCount, len(page.Results), tc.wantLen)
			}
			if page.Results[0].ID != all[tc.wantFirst].ID {
				t.Errorf("page starts with %s, want %s", page.Results[0].ID, all[tc.wantFirst].ID)
			}
			var links []string
			for _, l := range page.Links {
				u, err := url.Parse(l.Href)
				if err != nil {
					t.Fatal(err)
				}
				links = append(links, fmt.Sprintf("%s:%s:%s", l.Rel, u.Query().Get("pageNum"), u.Query().Get("itemsPerPage")))
			}
			if !slices.Equal(links, tc.wantLinks) {
				t.Errorf("links %v, want %v", links, tc.wantLinks)
			}
		})
	}
}

// TestServer_countRequests: CountRequests and its predicates count the log.
func TestServer_countRequests(t *testing.T) {
	s, srv := startSeeded(t)
	list := srv.URL + exportsPath("v2", ProjectID, ClusterGenerated)
	get(t, digestClient(), list+"?pageNum=1")
	get(t, digestClient(), list+"?pageNum=2")
	get(t, digestClient(), srv.URL+bucketPath(ProjectID, BucketAWS), "Accept", acceptBuckets2024)
	token(t, srv, http.MethodPost, ClientSecret, "client_credentials")
	for name, tc := range map[string]struct {
		match func(Request) bool
		want  int
	}{
		"all":                {func(Request) bool { return true }, 7}, // three challenges
		"authenticated":      {IsAuthenticated, 3},
		"token":              {IsTokenRequest, 1},
		"page 2 of the list": {IsListPage(ClusterGenerated, 2), 2}, // its challenge too
		"bucket GET":         {IsBucketGET(BucketAWS), 2},
		"another bucket":     {IsBucketGET(BucketGCP), 0},
	} {
		if got := s.CountRequests(tc.match); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}

// TestServer_tokenEndpointOtherMethod: another method than POST on the token
// endpoint is a plain 405 naming POST, without an error code made up for it.
func TestServer_tokenEndpointOtherMethod(t *testing.T) {
	_, srv := startSeeded(t)
	resp, body := get(t, http.DefaultClient, srv.URL+tokenPath)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost || strings.Contains(string(body), "errorCode") {
		t.Errorf("%d, Allow %q: %s; want 405, Allow POST and no errorCode", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
}
