package atlas

// Helpers shared by the client's tests: a sandbox per test, clients with fast
// retries, the reference material in ../shared (shared_test.go says when it
// is there), and assertions on lists.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The project and cluster the tests list, unless they use the seeded ones.
const (
	testProject = sandbox.ProjectID
	testCluster = "cluster-0"
)

// v2ContentType is what the sandbox (and Atlas) sends with v2 answers.
const v2ContentType = "application/vnd.atlas.2023-01-01+json;charset=utf-8"

// startSandbox serves an empty sandbox that accepts the sandbox key pair and
// service account, with testCluster holding jobs. configure runs before the
// server starts: the sandbox's fields (Latency, TokenLifetime) are not to be
// set while it serves.
func startSandbox(t *testing.T, jobs []sandbox.Job, configure ...func(*sandbox.Server)) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.AddServiceAccount(sandbox.ClientID, sandbox.ClientSecret)
	sbx.SetJobs(testProject, testCluster, jobs)
	for _, c := range configure {
		c(sbx)
	}
	return sbx, serve(t, sbx)
}

// serve starts a test server for handler, closed when the test ends.
func serve(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// newTestClient is a key pair client of baseURL with retries a few
// milliseconds apart; options adjust the config.
func newTestClient(t *testing.T, baseURL string, options ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:      baseURL,
		PublicKey:    sandbox.PublicKey,
		PrivateKey:   sandbox.PrivateKey,
		MaxRetries:   3,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	for _, option := range options {
		option(&cfg)
	}
	client, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return client
}

// withServiceAccount makes a client use the sandbox service account instead
// of the key pair.
func withServiceAccount(cfg *Config) {
	cfg.PublicKey, cfg.PrivateKey = "", ""
	cfg.ClientID, cfg.ClientSecret = sandbox.ClientID, sandbox.ClientSecret
}

// withPaging sets the page size and the pages in flight.
func withPaging(itemsPerPage, concurrency int) func(*Config) {
	return func(cfg *Config) { cfg.ItemsPerPage, cfg.MaxConcurrentRequests = itemsPerPage, concurrency }
}

func withMaxRetries(n int) func(*Config) {
	return func(cfg *Config) { cfg.MaxRetries = n }
}

// listTestCluster lists testCluster and fails the test on an error.
func listTestCluster(t *testing.T, client *Client) *ExportJobList {
	t.Helper()
	list, err := client.ListExportJobs(context.Background(), testProject, testCluster)
	if err != nil {
		t.Fatalf("ListExportJobs: %v", err)
	}
	return list
}

// attempts are the requests that carried credentials (digest or bearer) to
// the API, in the order the sandbox finished them: the attempts of the
// client, without digest challenges and token requests.
func attempts(sbx *sandbox.Server) []sandbox.Request {
	var out []sandbox.Request
	for _, r := range sbx.Requests() {
		if strings.HasPrefix(r.Path, "/api/atlas/") && (r.Auth == "digest" || r.Auth == "bearer") {
			out = append(out, r)
		}
	}
	return out
}

// pagesRequested are the pageNum values of the authenticated list requests,
// sorted.
func pagesRequested(t *testing.T, sbx *sandbox.Server) []int {
	t.Helper()
	var pages []int
	for _, r := range attempts(sbx) {
		if !strings.HasSuffix(r.Path, "/backup/exports") {
			continue
		}
		q, err := parseQuery(r.RawQuery)
		if err != nil {
			t.Fatalf("request %s?%s: %v", r.Path, r.RawQuery, err)
		}
		pages = append(pages, q)
	}
	slices.Sort(pages)
	return pages
}

func parseQuery(raw string) (int, error) {
	for _, kv := range strings.Split(raw, "&") {
		if v, ok := strings.CutPrefix(kv, "pageNum="); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("no pageNum")
}

// oneToN is 1, 2, ..., n.
func oneToN(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// wantJob is the ExportJob the client must decode from the sandbox's JSON of
// job: fields the sandbox leaves out are nil, customData [] is empty and not
// nil.
func wantJob(job sandbox.Job) ExportJob {
	job = job.AsServed()
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := ExportJob{
		ID:             &job.ID,
		SnapshotID:     opt(job.SnapshotID),
		ExportBucketID: &job.ExportBucketID, // sent even when empty
		State:          opt(job.State),
		CreatedAt:      opt(job.CreatedAt),
		FinishedAt:     opt(job.FinishedAt),
		Prefix:         opt(job.Prefix),
	}
	for _, c := range job.Components {
		out.Components = append(out.Components, Component{ExportID: &c.ExportID, ReplicaSetName: &c.ReplicaSetName})
	}
	if job.CustomData != nil {
		out.CustomData = []Label{}
		for _, l := range *job.CustomData {
			out.CustomData = append(out.CustomData, Label{Key: &l.Key, Value: &l.Value})
		}
	}
	if s := job.ExportStatus; s != nil {
		exported, total := int64(s.ExportedCollections), int64(s.TotalCollections)
		out.ExportStatus = &ExportStatus{ExportedCollections: &exported, TotalCollections: &total}
	}
	if r := job.StateReason; r != nil {
		out.StateReason = &StateReason{ErrorCode: &r.ErrorCode, Message: &r.Message}
	}
	return out
}

// assertJobsOnceInOrder checks that got holds every job of want exactly once,
// each decoded unchanged, newest first with same-second ties by ID
// descending.
func assertJobsOnceInOrder(t *testing.T, got []ExportJob, want []sandbox.Job) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d jobs, want %d", len(got), len(want))
	}
	byID := make(map[string]sandbox.Job, len(want))
	for _, j := range want {
		byID[j.ID] = j
	}
	seen := map[string]bool{}
	for i, job := range got {
		id := str(job.ID)
		w, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("job %d: unexpected ID %q", i, id)
			continue
		case seen[id]:
			t.Errorf("job %d: ID %s appears more than once", i, id)
		}
		seen[id] = true
		if wj := wantJob(w); !reflect.DeepEqual(job, wj) {
			t.Errorf("job %s decoded as\n%s\nwant\n%s", id, jsonText(job), jsonText(wj))
		}
	}
	assertNewestFirst(t, got)
}

// assertNewestFirst checks the order createdAt descending, ties by ID
// descending, pair by pair.
func assertNewestFirst(t *testing.T, jobs []ExportJob) {
	t.Helper()
	for i := 1; i < len(jobs); i++ {
		prev, cur := jobs[i-1], jobs[i]
		tp, tc := parseTime(t, prev.CreatedAt), parseTime(t, cur.CreatedAt)
		switch {
		case tp.Before(tc):
			t.Errorf("job %d (%s, %s) is older than job %d (%s, %s)", i-1, str(prev.ID), str(prev.CreatedAt), i, str(cur.ID), str(cur.CreatedAt))
		case tp.Equal(tc) && str(prev.ID) <= str(cur.ID):
			t.Errorf("jobs %d and %d share createdAt %s but their IDs %s, %s are not descending", i-1, i, str(cur.CreatedAt), str(prev.ID), str(cur.ID))
		}
	}
}

// sameSecondPairs counts neighbours created in the same second, so that a
// test can show its tie-break check was not vacuous.
func sameSecondPairs(jobs []ExportJob) int {
	n := 0
	for i := 1; i < len(jobs); i++ {
		if str(jobs[i-1].CreatedAt) == str(jobs[i].CreatedAt) {
			n++
		}
	}
	return n
}

func parseTime(t *testing.T, s *string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339, str(s))
	if err != nil {
		t.Fatalf("createdAt %q: %v", str(s), err)
	}
	return parsed
}

// newerJobs are n jobs created a day after every job GenerateJobs makes, so
// that they land on page 1 and shift every later page.
func newerJobs(t *testing.T, n int, seed uint64) []sandbox.Job {
	t.Helper()
	jobs := sandbox.GenerateJobs(testCluster, n, seed)
	for i := range jobs {
		jobs[i].CreatedAt = parseTime(t, &jobs[i].CreatedAt).Add(24 * time.Hour).Format(time.RFC3339)
		jobs[i].FinishedAt = ""
	}
	return jobs
}

func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// recording is one response of shared/atlas-recordings.
type recording struct {
	name        string // folder/file
	folder      string
	status      int
	contentType string
	body        []byte
}

// readRecordings parses every .snaphost file: a status line, "Name: value"
// headers, an empty line and the body.
func readRecordings(tb testing.TB) []recording {
	tb.Helper()
	root := filepath.Join(sharedDir, "atlas-recordings")
	var out []recording
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".snaphost") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rec, err := parseSnaphost(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		rec.name = filepath.ToSlash(rel)
		rec.folder = strings.Split(rec.name, "/")[0]
		out = append(out, rec)
		return nil
	})
	if err != nil {
		tb.Fatalf("reading the recordings in %s (the project's shared reference material must be next to it): %v", root, err)
	}
	if len(out) == 0 {
		tb.Fatalf("no .snaphost recordings found in %s", root)
	}
	return out
}

func parseSnaphost(raw []byte) (recording, error) {
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		return recording{}, fmt.Errorf("no empty line between headers and body")
	}
	lines := bufio.NewScanner(bytes.NewReader(head))
	if !lines.Scan() {
		return recording{}, fmt.Errorf("no status line")
	}
	fields := strings.Fields(lines.Text())
	if len(fields) < 2 {
		return recording{}, fmt.Errorf("status line %q", lines.Text())
	}
	status, err := strconv.Atoi(fields[1])
	if err != nil {
		return recording{}, fmt.Errorf("status line %q: %w", lines.Text(), err)
	}
	rec := recording{status: status, body: body}
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), ": ")
		if !ok {
			return recording{}, fmt.Errorf("header line %q", lines.Text())
		}
		if http.CanonicalHeaderKey(name) == "Content-Type" {
			rec.contentType = value
		}
	}
	return rec, nil
}

// docPageExamples are the JSON examples of the Atlas documentation page in
// shared/seed, verbatim, in page order: the replica set, then the sharded
// cluster.
func docPageExamples(tb testing.TB) [][]byte {
	tb.Helper()
	path := filepath.Join(sharedDir, "seed", "000_1e9c962bae22eecc.txt")
	page, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("reading the documentation page %s (the project's shared reference material must be next to it): %v", path, err)
	}
	var out [][]byte
	const marker = ".. code-block:: json"
	rest := page
	for {
		_, after, found := bytes.Cut(rest, []byte(marker))
		if !found {
			break
		}
		start := bytes.IndexByte(after, '{')
		if start < 0 {
			tb.Fatalf("%s: a %q block without a JSON object", path, marker)
		}
		// The decoder finds the object's end, braces inside strings
		// (the prefix placeholders) included.
		var raw json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(after[start:])).Decode(&raw); err != nil {
			tb.Fatalf("%s: a JSON example does not parse: %v", path, err)
		}
		out = append(out, raw)
		rest = after[start+len(raw):]
	}
	if len(out) != 2 {
		tb.Fatalf("%s: found %d JSON examples, want 2 (replica set, sharded cluster)", path, len(out))
	}
	return out
}

// assertSameJSON checks, field by field, that got (a decoded value of the
// client) encodes to the same JSON object as want (a generic decode of the
// body it came from): nothing dropped, added or altered. Nil pointers and
// nil slices encode as null, which stands for "absent" here.
func assertSameJSON(t *testing.T, what string, got any, want map[string]any) {
	t.Helper()
	encoded, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: encoding: %v", what, err)
	}
	var gotMap map[string]any
	if err := json.Unmarshal(encoded, &gotMap); err != nil {
		t.Fatalf("%s: decoding again: %v", what, err)
	}
	dropNulls(gotMap)
	for key, w := range want {
		g, ok := gotMap[key]
		switch {
		case !ok:
			t.Errorf("%s: field %q was dropped (the body has %s)", what, key, jsonText(w))
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s: field %q came out as %s, the body has %s", what, key, jsonText(g), jsonText(w))
		}
	}
	for key, g := range gotMap {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: field %q = %s is not in the body", what, key, jsonText(g))
		}
	}
}

func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

// rawFault serves body verbatim with status and content type on every API
// request, after the sandbox has authenticated it.
func rawFault(status int, contentType string, body []byte) sandbox.Fault {
	return sandbox.Fault{Status: status, ContentType: contentType, Body: string(body)}
}
