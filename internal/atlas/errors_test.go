package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestListExportJobs_errorEnvelope maps Atlas's error answers to *APIError:
// status, errorCode and detail are kept, the message names all three, the
// hint says what to do, and only the failures of Atlas itself are retried.
func TestListExportJobs_errorEnvelope(t *testing.T) {
	const maxRetries = 3
	cases := map[string]struct {
		fault      *sandbox.Fault
		privateKey string // replaces the sandbox's private key
		publicKey  string // replaces the sandbox's public key
		project    string
		cluster    string

		wantStatus   int
		wantCode     string
		wantDetail   string
		wantAttempts int
		// wantInMessage are further texts the message must quote.
		wantInMessage []string
	}{
		"400 bad request": {
			fault:      &sandbox.Fault{Status: http.StatusBadRequest},
			wantStatus: http.StatusBadRequest, wantCode: "VALIDATION_ERROR", wantDetail: "Scripted by the sandbox: Bad Request.",
			wantAttempts: 1,
		},
		"401 wrong private key": {
			privateKey: "00000000-0000-0000-0000-000000000000",
			wantStatus: http.StatusUnauthorized, wantCode: "", wantDetail: "You are not authorized for this resource.",
			wantAttempts: 1,
		},
		"401 unknown public key": {
			publicKey:  "nosuchky",
			wantStatus: http.StatusUnauthorized, wantCode: "", wantDetail: "You are not authorized for this resource.",
			wantAttempts: 1,
		},
		"403 address not on the access list": {
			fault:      &sandbox.Fault{Status: http.StatusForbidden},
			wantStatus: http.StatusForbidden, wantCode: "IP_ADDRESS_NOT_ON_ACCESS_LIST", wantDetail: "Scripted by the sandbox: Forbidden.",
			wantAttempts: 1,
		},
		"403 for another reason": {
			fault:      &sandbox.Fault{Status: http.StatusForbidden, ErrorCode: "USER_NOT_IN_GROUP"},
			wantStatus: http.StatusForbidden, wantCode: "USER_NOT_IN_GROUP", wantDetail: "Scripted by the sandbox: Forbidden.",
			wantAttempts: 1,
		},
		"404 unknown cluster": {
			cluster:    "no-such-cluster",
			wantStatus: http.StatusNotFound, wantCode: "CLUSTER_NOT_FOUND",
			wantDetail:   "No cluster named no-such-cluster exists in group " + testProject + ".",
			wantAttempts: 1,
		},
		"404 unknown project": {
			project:    "0123456789abcdef01234567",
			wantStatus: http.StatusNotFound, wantCode: "GROUP_NOT_FOUND", wantDetail: "No group with ID 0123456789abcdef01234567 exists.",
			wantAttempts: 1,
		},
		"500 internal server error, retried": {
			fault:      &sandbox.Fault{Status: http.StatusInternalServerError},
			wantStatus: http.StatusInternalServerError, wantCode: "UNEXPECTED_ERROR", wantDetail: "Scripted by the sandbox: Internal Server Error.",
			wantAttempts: maxRetries + 1, wantInMessage: []string{"after 4 attempts"},
		},
		"500 with a body that is not JSON, retried": {
			fault:         &sandbox.Fault{Status: http.StatusInternalServerError, Body: "oops", ContentType: "text/plain"},
			wantStatus:    http.StatusInternalServerError,
			wantAttempts:  maxRetries + 1,
			wantInMessage: []string{`content type "text/plain"`, `"oops"`, "after 4 attempts"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 3, 1))
			if tc.fault != nil {
				sbx.AddFault(*tc.fault)
			}
			client := newTestClient(t, srv.URL, withMaxRetries(maxRetries), func(cfg *Config) {
				cfg.PrivateKey = cmpOr(tc.privateKey, cfg.PrivateKey)
				cfg.PublicKey = cmpOr(tc.publicKey, cfg.PublicKey)
			})

			_, err := client.ListExportJobs(context.Background(), cmpOr(tc.project, testProject), cmpOr(tc.cluster, testCluster))

			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.wantStatus || apiErr.ErrorCode != tc.wantCode || apiErr.Detail != tc.wantDetail {
				t.Errorf("StatusCode, ErrorCode, Detail = %d, %q, %q; want %d, %q, %q",
					apiErr.StatusCode, apiErr.ErrorCode, apiErr.Detail, tc.wantStatus, tc.wantCode, tc.wantDetail)
			}
			if StatusCode(err) != tc.wantStatus {
				t.Errorf("StatusCode(err) = %d, want %d", StatusCode(err), tc.wantStatus)
			}
			msg := err.Error()
			for _, want := range append([]string{"HTTP " + strconv.Itoa(tc.wantStatus), tc.wantCode, tc.wantDetail}, tc.wantInMessage...) {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			if apiErr.Operation != OpListExportJobs || apiErr.Credentials != CredentialsKeyPair {
				t.Errorf("Operation, Credentials = %q, %q; want the list's, sent with a key pair", apiErr.Operation, apiErr.Credentials)
			}
			for _, secret := range []string{sandbox.PrivateKey, tc.privateKey} {
				if secret != "" && strings.Contains(msg, secret) {
					t.Errorf("the private key %q appears in the error %q", secret, msg)
				}
			}
			if got := len(attempts(sbx)); got != tc.wantAttempts || apiErr.Attempts != tc.wantAttempts {
				t.Errorf("%d attempts reached the sandbox and the error counts %d; want %d", got, apiErr.Attempts, tc.wantAttempts)
			}
		})
	}
}

func cmpOr(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// TestGetExportJob_errors: reading one job maps the sandbox's 404s and
// rejects path parameters that are not the API's, before any request.
func TestGetExportJob_errors(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 3, 1)
	cases := map[string]struct {
		project, cluster, exportID string
		wantStatus                 int
		wantCode                   string
	}{
		"unknown job":           {testProject, testCluster, "0123456789abcdef01234567", http.StatusNotFound, "RESOURCE_NOT_FOUND"},
		"unknown cluster":       {testProject, "other", generated[0].ID, http.StatusNotFound, "CLUSTER_NOT_FOUND"},
		"unknown project":       {"0123456789abcdef01234567", testCluster, generated[0].ID, http.StatusNotFound, "GROUP_NOT_FOUND"},
		"export ID path":        {testProject, testCluster, "../../../../../orgs", 0, ""},
		"export ID uppercase":   {testProject, testCluster, strings.ToUpper(generated[0].ID), 0, ""},
		"export ID empty":       {testProject, testCluster, "", 0, ""},
		"cluster name path":     {testProject, "a/../b", generated[0].ID, 0, ""},
		"cluster name too long": {testProject, strings.Repeat("a", MaxClusterNameLength+1), generated[0].ID, 0, ""},
		"project ID short":      {"abc", testCluster, generated[0].ID, 0, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, generated)
			client := newTestClient(t, srv.URL)

			job, err := client.GetExportJob(context.Background(), tc.project, tc.cluster, tc.exportID)

			if err == nil {
				t.Fatalf("got %s, want an error", jsonText(job))
			}
			if StatusCode(err) != tc.wantStatus {
				t.Errorf("StatusCode(%v) = %d, want %d", err, StatusCode(err), tc.wantStatus)
			}
			var apiErr *APIError
			if tc.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode != tc.wantCode) {
				t.Errorf("got %v, want errorCode %s", err, tc.wantCode)
			}
			if tc.wantStatus == 0 && len(sbx.Requests()) != 0 {
				t.Errorf("a request was sent for %q/%q/%q: %+v", tc.project, tc.cluster, tc.exportID, sbx.Requests())
			}
		})
	}
}

// TestListExportJobs_rejectsBadPathParameters: the list checks its path
// parameters against the API's patterns before any request.
func TestListExportJobs_rejectsBadPathParameters(t *testing.T) {
	cases := map[string]struct{ project, cluster string }{
		"project ID uppercase":      {strings.ToUpper(testProject), testCluster},
		"project ID path":           {"../../orgs", testCluster},
		"cluster name empty":        {testProject, ""},
		"cluster name slash":        {testProject, "a/b"},
		"cluster name hyphen first": {testProject, "-a"},
		"cluster name too long":     {testProject, strings.Repeat("a", MaxClusterNameLength+1)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, nil)
			_, err := newTestClient(t, srv.URL).ListExportJobs(context.Background(), tc.project, tc.cluster)
			if err == nil || len(sbx.Requests()) != 0 {
				t.Errorf("got %v after %d requests; want an error and no request", err, len(sbx.Requests()))
			}
		})
	}
}

// TestGetExportJob_decodesJob reads one seeded job unchanged.
func TestGetExportJob_decodesJob(t *testing.T) {
	srv := serve(t, sandbox.New())
	client := newTestClient(t, srv.URL)
	for _, want := range sandbox.DocsShardedJobs() {
		got, err := client.GetExportJob(context.Background(), sandbox.ProjectID, sandbox.ClusterSharded, want.ID)
		if err != nil {
			t.Fatalf("GetExportJob %s: %v", want.ID, err)
		}
		assertJobsOnceInOrder(t, []ExportJob{*got}, []sandbox.Job{want})
	}
}

// TestAPIError_messages pins the wording of the error kinds a user sees.
func TestAPIError_messages(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"envelope": {
			&APIError{StatusCode: 404, ErrorCode: "CLUSTER_NOT_FOUND", Detail: "No cluster named x exists in group y."},
			"Atlas answered HTTP 404 Not Found (errorCode CLUSTER_NOT_FOUND): No cluster named x exists in group y.",
		},
		"envelope after retries": {
			&APIError{StatusCode: 429, ErrorCode: "RATE_LIMITED", Detail: "Slow down.", Attempts: 3},
			"Atlas answered HTTP 429 Too Many Requests (errorCode RATE_LIMITED): Slow down. (after 3 attempts)",
		},
		"not the envelope": {
			&APIError{StatusCode: 502, ContentType: "text/html", BodySnippet: "<html>"},
			`Atlas answered HTTP 502 Bad Gateway with a body that is not Atlas's error JSON (content type "text/html", first 200 characters: "<html>")`,
		},
		"body error": {
			&ResponseBodyError{StatusCode: 200, ContentType: "text/html", BodySnippet: "<html>", Err: errors.New("content type \"text/html\" is not JSON")},
			`Atlas answered HTTP 200 with a body that is not the expected JSON (content type "text/html", first 200 characters: "<html>"): content type "text/html" is not JSON`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("message\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestListExportJobs_keyStopsWorkingMidWalk: a key deleted while a list is
// being paged fails the read with the 401 and its advice, without retrying
// the 401 and without returning the pages read before it.
func TestListExportJobs_keyStopsWorkingMidWalk(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 1234, 7), func(s *sandbox.Server) {
		s.RevokeKeyAfter(sandbox.PublicKey, 1) // page 1 only
	})
	client := newTestClient(t, srv.URL, withPaging(500, 1))
	list, err := client.ListExportJobs(context.Background(), testProject, testCluster)
	if list != nil {
		t.Errorf("got a list of %d jobs; a failed read must return none", len(list.Jobs))
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want a 401 APIError", err)
	}
	if apiErr.Attempts > 1 {
		t.Errorf("the 401 was tried %d times; it must not be retried", apiErr.Attempts)
	}
	// Page 2 goes out twice with credentials: the answer to the cached
	// challenge is refused, and digest answers the fresh challenge of that
	// 401 once, which is refused too. That is one attempt, not a retry.
	if pages := slices.Compact(pagesRequested(t, sbx)); !slices.Equal(pages, []int{1, 2}) {
		t.Errorf("pages requested: %v, want [1 2] (the walk stops at the refused page)", pages)
	}
}

// TestListExportJobs_challengeNotAtlas: a 401 whose challenge an API key
// cannot answer (another scheme, or a Digest challenge mongodb-forks/digest
// cannot parse, one of which panics inside it) fails the read at once with
// the challenge and where to look, and never crashes the provider. A Digest
// challenge like Atlas's is answered, and a 401 to the answer is Atlas's.
func TestListExportJobs_challengeNotAtlas(t *testing.T) {
	cases := map[string]struct {
		challenge string
		requests  int32
	}{
		"another scheme":     {challenge: `Basic realm="corporate proxy"`, requests: 1},
		"a part without =":   {challenge: `Digest realm`, requests: 1},
		"a key digest lacks": {challenge: `Digest realm="x", charset="UTF-8"`, requests: 1},
		"no scheme":          {challenge: `realm="x"`, requests: 1},
		// Digest challenges whose values the library does not implement.
		"SHA-512-256":           {challenge: `Digest realm="x", nonce="n", algorithm=SHA-512-256, qop="auth"`, requests: 1},
		"MD5-sess":              {challenge: `Digest realm="x", nonce="n", algorithm=MD5-sess, qop="auth"`, requests: 1},
		"auth-int alone":        {challenge: `Digest realm="x", nonce="n", algorithm=MD5, qop="auth-int"`, requests: 1},
		"a list of qop":         {challenge: `Digest realm="x", nonce="n", qop="auth,auth-int"`, requests: 1},
		"SHA-256, answered":     {challenge: `Digest realm="x", nonce="n", algorithm="SHA-256", qop="auth"`, requests: 2},
		"no qop, answered":      {challenge: `Digest realm="x", nonce="n"`, requests: 2},
		"Atlas's, then refused": {challenge: `Digest realm="MMS Public API", domain="", nonce="abc", algorithm=MD5, qop="auth", stale=false`, requests: 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				w.Header().Set("WWW-Authenticate", tc.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer srv.Close()
			_, err := newTestClient(t, srv.URL).ListExportJobs(context.Background(), testProject, testCluster)
			if got := requests.Load(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			challengeErr, isChallengeErr := errors.AsType[*ChallengeError](err)
			if tc.requests == 2 {
				if isChallengeErr || StatusCode(err) != http.StatusUnauthorized {
					t.Errorf("got %v, want Atlas's 401 to the answered challenge", err)
				}
				return
			}
			if !isChallengeErr || challengeErr.Challenge != tc.challenge {
				t.Fatalf("got %v, want a ChallengeError with the challenge", err)
			}
			for _, want := range []string{"reading page 1", "HTTP 401", strconv.Quote(tc.challenge)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
		})
	}
}

// TestListExportJobs_401WithoutAChallengeKeepsAtlasBody: a 401 to the
// request sent before any challenge, with no challenge of its own, is Atlas's
// answer: its error JSON reaches the error (the digest library drains the
// body of the 401 it expects to answer), and it is not retried.
func TestListExportJobs_401WithoutAChallengeKeepsAtlasBody(t *testing.T) {
	const body = `{"detail":"You are not authorized for this resource.","error":401,"reason":"Unauthorized"}`
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(body))
	}))

	_, err := newTestClient(t, srv.URL).ListExportJobs(t.Context(), testProject, testCluster)

	if StatusCode(err) != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(err), "You are not authorized for this resource.") {
		t.Errorf("got %v, want Atlas's 401 with its detail", err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}
