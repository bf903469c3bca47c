package atlas

// The project's reference material (../shared beside the repository: the
// published contract, the real Atlas recordings, the documentation page) is
// in CI but not in a user's clone. The answers every run needs are our own
// fixtures in testdata/ (testdata/README.md says where their facts come
// from); the tests that need the material itself skip without it, and
// TestMain says which.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// sharedDir is the project's read-only reference material; tests run with
// the package directory as their working directory.
const sharedDir = "../../../shared"

// EnvSkipReport names a file to which TestMain appends its line about the
// tests skipped for want of sharedDir: `go test` shows a passing package's
// output only with -v, so `make test` prints the file instead.
const envSkipReport = "ATLASEXPORTS_SKIP_REPORT"

// envRequireShared, when set (CI sets it: .ci/run), turns a skip for want of
// sharedDir into a failure, so that a moved or broken path cannot make CI
// pass with the contract and recording tests silently skipped.
const envRequireShared = "ATLASEXPORTS_REQUIRE_SHARED"

// sharedPresent reports whether the reference material is beside the
// repository. A directory named shared without any of its parts is someone
// else's, and counts as absent.
func sharedPresent() bool {
	for _, part := range []string{"atlas-openapi", "atlas-recordings", "seed"} {
		if info, err := os.Stat(filepath.Join(sharedDir, part)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}

var skippedForShared struct {
	sync.Mutex
	tests map[string]bool
}

// requireShared skips the test when the reference material is absent, and
// remembers it for TestMain's line.
func requireShared(tb testing.TB) {
	tb.Helper()
	if sharedPresent() {
		return
	}
	if os.Getenv(envRequireShared) != "" {
		tb.Fatalf("%s is set, but %s (the project's reference material) is absent or incomplete", envRequireShared, sharedDir)
	}
	top, _, _ := strings.Cut(tb.Name(), "/")
	skippedForShared.Lock()
	if skippedForShared.tests == nil {
		skippedForShared.tests = map[string]bool{}
	}
	skippedForShared.tests[top] = true
	skippedForShared.Unlock()
	tb.Skipf("skipped: %s (the project's reference material, beside the repository in CI) is absent", sharedDir)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if line := sharedSkipLine(); line != "" {
		fmt.Fprintln(os.Stderr, line)
		if path := os.Getenv(envSkipReport); path != "" {
			appendLine(path, line)
		}
	}
	os.Exit(code)
}

// sharedSkipLine is one line naming the tests requireShared skipped, or "".
func sharedSkipLine() string {
	skippedForShared.Lock()
	defer skippedForShared.Unlock()
	if len(skippedForShared.tests) == 0 {
		return ""
	}
	names := make([]string, 0, len(skippedForShared.tests))
	for name := range skippedForShared.tests {
		names = append(names, name)
	}
	sort.Strings(names)
	abs, err := filepath.Abs(sharedDir)
	if err != nil {
		abs = sharedDir
	}
	return fmt.Sprintf("internal/atlas: skipped %d tests because %s (the project's reference material) is absent: %s",
		len(names), abs, strings.Join(names, ", "))
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644) //nolint:gosec // a path the make target chose
	if err != nil {
		fmt.Fprintf(os.Stderr, "writing the skip report %s: %v\n", path, err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

// fixture is one answer in testdata/ and the reference material its facts
// come from.
type fixture struct {
	file string
	// operation is "list" (a page of the list operation) or "get" (one job).
	operation string
	// source is the recording (under shared/atlas-recordings) or, for the
	// documentation examples, the index of the example on the page.
	source  string
	example int
}

var fixtures = []fixture{
	{file: "docs-replica-set.json", operation: "list", example: 0},
	{file: "docs-sharded.json", operation: "list", example: 1},
	{file: "list-jobs-successful.json", operation: "list",
		source: "List_jobs/GET_api_atlas_v2_groups_b0123456789abcdef012345b_clusters_cluster-147_backup_exports_1.snaphost"},
	{file: "describe-job-successful.json", operation: "get",
		source: "Describe_job/GET_api_atlas_v2_groups_b0123456789abcdef012345b_clusters_cluster-989_backup_exports_6a7945592c88faeba59d5e8e_1.snaphost"},
	{file: "watch-job-queued.json", operation: "get",
		source: "Watch_create_job/GET_api_atlas_v2_groups_b0123456789abcdef012345b_clusters_cluster-989_backup_exports_6a7945592c88faeba59d5e8e_1.snaphost"},
	{file: "watch-job-in-progress.json", operation: "get",
		source: "Watch_create_job/GET_api_atlas_v2_groups_b0123456789abcdef012345b_clusters_cluster-989_backup_exports_6a7945592c88faeba59d5e8e_2.snaphost"},
}

func (f fixture) isDocExample() bool { return f.source == "" }

func (f fixture) body(tb testing.TB) []byte {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", f.file))
	if err != nil {
		tb.Fatalf("reading the fixture: %v", err)
	}
	return body
}

// realFixtures are the fixtures written after real Atlas answers.
func realFixtures() []fixture {
	return slices.DeleteFunc(slices.Clone(fixtures), fixture.isDocExample)
}

// docExamples are the fixtures written after the two examples of the Atlas
// documentation page: the replica set, then the sharded cluster.
func docExamples(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, f := range fixtures {
		if f.isDocExample() {
			out = append(out, f.body(tb))
		}
	}
	return out
}

// TestTestdata_shapesMatchTheirSources checks that each fixture keeps the
// shape of the answer it was written after: the same keys at every level,
// the same JSON kinds, the same number of results and components, the same
// key order. Values (ids, dates) are ours.
func TestTestdata_shapesMatchTheirSources(t *testing.T) {
	requireShared(t)
	recordings := map[string][]byte{}
	for _, rec := range readRecordings(t) {
		recordings[rec.name] = rec.body
	}
	page := docPageExamples(t)
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			source := recordings[f.source]
			if f.isDocExample() {
				source = page[f.example]
			}
			if source == nil {
				t.Fatalf("the source %s is not among the recordings", f.source)
			}
			if got, want := jsonShape(t, f.body(t)), jsonShape(t, source); got != want {
				t.Errorf("the fixture's shape\n%s\ndiffers from its source's\n%s", got, want)
			}
			if keyOrder(f.body(t)) != keyOrder(source) {
				t.Errorf("the fixture's keys are in the order %s, its source's in %s", keyOrder(f.body(t)), keyOrder(source))
			}
		})
	}
}

// jsonShape describes a JSON document without its values: objects by their
// keys, arrays by their elements, scalars by their kind.
func jsonShape(t *testing.T, body []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	var describe func(v any) string
	describe = func(v any) string {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = k + ":" + describe(v[k])
			}
			return "{" + strings.Join(parts, ",") + "}"
		case []any:
			parts := make([]string, len(v))
			for i, e := range v {
				parts[i] = describe(e)
			}
			return "[" + strings.Join(parts, ",") + "]"
		case nil:
			return "null"
		default:
			return reflect.TypeOf(v).Kind().String()
		}
	}
	return describe(v)
}

// keyOrder lists the keys of a JSON body in the order they appear.
func keyOrder(body []byte) string {
	type container struct{ object, wantKey bool }
	var stack []container
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return strings.Join(keys, " ")
		}
		top := len(stack) - 1
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{', '[':
				stack = append(stack, container{object: delim == '{', wantKey: delim == '{'})
				continue
			default:
				stack = stack[:top]
				top--
			}
		} else if top >= 0 && stack[top].wantKey {
			key, _ := tok.(string)
			keys = append(keys, key)
			stack[top].wantKey = false
			continue
		}
		// A value ended: an object wants its next key.
		if top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
	}
}
