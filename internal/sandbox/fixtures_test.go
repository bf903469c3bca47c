package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

const (
	fixtureProject = "6a0c82ed7379b6c6f1df8400"
	fixtureJobID   = "6a7945592c88faeba59d5e8e"
)

// fixtureWith is a valid fixtures file with one project, whose cluster
// "ledger" has body as its value.
func fixtureWith(cluster string) string {
	return `{"projects": {"` + fixtureProject + `": {"clusters": {"ledger": ` + cluster + `}}}}`
}

// TestLoadFixtures_problems: each kind of mistake is reported at its JSON
// path and position, saying what is wrong, and nothing is loaded.
func TestLoadFixtures_problems(t *testing.T) {
	job := func(fields string) string { return fixtureWith(`{"exports": [` + fields + `]}`) }
	behaviour := func(b string) string { return fixtureWith(`{"behaviour": ` + b + `}`) }
	ledger := "projects." + fixtureProject + ".clusters.ledger"
	cases := map[string]struct {
		file        string
		wantPath    string
		wantAt      [2]int // line, column
		wantMessage string
	}{
		"not JSON": {
			file: "{\n  \"projects\": {,}\n}", wantAt: [2]int{2, 16},
			wantMessage: "invalid JSON: invalid character ',' looking for beginning of object key string",
		},
		"cut short": {
			file: `{"projects": {`, wantAt: [2]int{1, 14}, wantMessage: "invalid JSON: unexpected end of JSON input",
		},
		"not an object": {file: `[]`, wantAt: [2]int{1, 1}, wantMessage: "must be an object, not an array"},
		"no projects": {
			file: `{}`, wantAt: [2]int{1, 1},
			wantMessage: `no "projects": a fixtures file serves at least one project, as {"projects": {"<project id>": {"clusters": {...}}}}`,
		},
		"empty projects": {
			file: `{"projects": {}}`, wantPath: "projects", wantAt: [2]int{1, 14},
			wantMessage: `is empty: give at least one project, as {"<project id>": {"clusters": {...}}}`,
		},
		"unknown top-level key": {
			file: `{"projets": {}, "projects": {"` + fixtureProject + `": {}}}`, wantPath: "projets", wantAt: [2]int{1, 2},
			wantMessage: `unknown key "projets" (did you mean "projects"?): the fixtures file has only "apiKeys", "serviceAccounts", "projects"`,
		},
		"project id not hex": {
			file: `{"projects": {"64B7E2F0C1D2A3B4C5D6E7F8": {}}}`, wantPath: "projects.64B7E2F0C1D2A3B4C5D6E7F8", wantAt: [2]int{1, 15},
			wantMessage: `"64B7E2F0C1D2A3B4C5D6E7F8" is not a project id: Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8`,
		},
		"project not an object": {
			file: `{"projects": {"` + fixtureProject + `": []}}`, wantPath: "projects." + fixtureProject, wantAt: [2]int{1, 43},
			wantMessage: "must be an object, not an array",
		},
		"unknown project key": {
			file: `{"projects": {"` + fixtureProject + `": {"cluster": {}}}}`, wantPath: "projects." + fixtureProject + ".cluster",
			wantAt: [2]int{1, 44}, wantMessage: `unknown key "cluster" (did you mean "clusters"?): a project has only "exportBuckets", "clusters"`,
		},
		"cluster name with a dot": {
			file:     `{"projects": {"` + fixtureProject + `": {"clusters": {"led.ger": {}}}}}`,
			wantPath: "projects." + fixtureProject + `.clusters["led.ger"]`, wantAt: [2]int{1, 57},
			wantMessage: `"led.ger" is not a cluster name: Atlas cluster names are 1 to 64 ASCII letters, digits and hyphens, starting with a letter or digit`,
		},
		"cluster name starting with a hyphen": {
			file:     `{"projects": {"` + fixtureProject + `": {"clusters": {"-ledger": {}}}}}`,
			wantPath: "projects." + fixtureProject + ".clusters.-ledger", wantAt: [2]int{1, 57},
			wantMessage: `"-ledger" is not a cluster name: Atlas cluster names are 1 to 64 ASCII letters, digits and hyphens, starting with a letter or digit`,
		},
		"cluster name too long": {
			file:     `{"projects": {"` + fixtureProject + `": {"clusters": {"` + strings.Repeat("a", 65) + `": {}}}}}`,
			wantPath: "projects." + fixtureProject + ".clusters." + strings.Repeat("a", 65), wantAt: [2]int{1, 57},
			wantMessage: `"` + strings.Repeat("a", 65) + `" is not a cluster name: Atlas cluster names are 1 to 64 ASCII letters, digits and hyphens, starting with a letter or digit`,
		},
		"unknown cluster key": {
			file: fixtureWith(`{"export": []}`), wantPath: ledger + ".export", wantAt: [2]int{1, 68},
			wantMessage: `unknown key "export" (did you mean "exports"?): a cluster has only "exports", "behaviour", "snapshots", "exportLifecycle"`,
		},
		"behaviour spelt the American way": {
			file: fixtureWith(`{"behavior": {}}`), wantPath: ledger + ".behavior", wantAt: [2]int{1, 68},
			wantMessage: `unknown key "behavior" (did you mean "behaviour"?): a cluster has only "exports", "behaviour", "snapshots", "exportLifecycle"`,
		},
		"exports not an array": {
			file: fixtureWith(`{"exports": {}}`), wantPath: ledger + ".exports", wantAt: [2]int{1, 79},
			wantMessage: "must be an array, not an object",
		},
		"job without id": {
			file: job(`{"state": "Queued"}`), wantPath: ledger + ".exports[0].id", wantAt: [2]int{1, 80}, wantMessage: `is missing: each entry needs it`,
		},
		"job id upper case": {
			file: job(`{"id": "` + fixtureJobID + `"}, {"id": "6A7945592C88FAEBA59D5E8F"}`), wantPath: ledger + ".exports[1].id",
			wantAt:      [2]int{1, 123},
			wantMessage: `"6A7945592C88FAEBA59D5E8F" is not an Atlas id: Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8`,
		},
		"job id a number": {
			file: job(`{"id": 5}`), wantPath: ledger + ".exports[0].id", wantAt: [2]int{1, 87}, wantMessage: "must be a string, not a number",
		},
		"duplicate job ids": {
			file:     job(`{"id": "` + fixtureJobID + `"}, {"id": "` + fixtureJobID + `"}`),
			wantPath: ledger + ".exports[1].id", wantAt: [2]int{1, 123},
			wantMessage: "job " + fixtureJobID + " is also exports[0]: job ids are unique in a cluster",
		},
		"exportBucketId too short": {
			file: job(`{"id": "` + fixtureJobID + `", "exportBucketId": "6a0c82ed"}`), wantPath: ledger + ".exports[0].exportBucketId",
			wantAt:      [2]int{1, 133},
			wantMessage: `"6a0c82ed" is not an Atlas id: Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8`,
		},
		"createdAt not as Atlas writes it": {
			file: job(`{"id": "` + fixtureJobID + `", "createdAt": "2026-08-10T03:28:25.5Z"}`), wantPath: ledger + ".exports[0].createdAt",
			wantAt:      [2]int{1, 128},
			wantMessage: `"2026-08-10T03:28:25.5Z" is not a time as Atlas writes it: UTC to the second, such as 2026-08-10T03:28:25Z`,
		},
		"bucket without _id": {
			file:     `{"projects": {"` + fixtureProject + `": {"exportBuckets": [{"bucketName": "b"}]}}}`,
			wantPath: "projects." + fixtureProject + ".exportBuckets[0]._id", wantAt: [2]int{1, 62}, wantMessage: `is missing: each entry needs it`,
		},
		"bucket _id not hex": {
			file:     `{"projects": {"` + fixtureProject + `": {"exportBuckets": [{"_id": "bucket-1"}]}}}`,
			wantPath: "projects." + fixtureProject + ".exportBuckets[0]._id", wantAt: [2]int{1, 70},
			wantMessage: `"bucket-1" is not an Atlas id: Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8`,
		},
		"duplicate bucket _id": {
			file:     `{"projects": {"` + fixtureProject + `": {"exportBuckets": [{"_id": "` + bucketID + `"}, {"_id": "` + bucketID + `"}]}}}`,
			wantPath: "projects." + fixtureProject + ".exportBuckets[1]._id", wantAt: [2]int{1, 107},
			wantMessage: "bucket " + bucketID + " is also exportBuckets[0]: give each bucket once",
		},
		"unknown bucket behaviour key": {
			file:     `{"projects": {"` + fixtureProject + `": {"exportBuckets": [{"_id": "` + bucketID + `", "behaviour": {"latency": "1s"}}]}}}`,
			wantPath: "projects." + fixtureProject + ".exportBuckets[0].behaviour.latency", wantAt: [2]int{1, 112},
			wantMessage: `unknown key "latency": a bucket's behaviour has only "status", "errorCode"`,
		},
		"unknown behaviour key": {
			file: behaviour(`{"rateLimit": 3}`), wantPath: ledger + ".behaviour.rateLimit", wantAt: [2]int{1, 82},
			wantMessage: `unknown key "rateLimit": a cluster's behaviour has only "latency", "rateLimitEvery", "retryAfterSeconds", "status", "errorCode"`,
		},
		"latency not a duration": {
			file: behaviour(`{"latency": "200"}`), wantPath: ledger + ".behaviour.latency", wantAt: [2]int{1, 93},
			wantMessage: `"200" is not a duration: write one as Go does, such as "200ms" or "1.5s"`,
		},
		"latency negative": {
			file: behaviour(`{"latency": "-1s"}`), wantPath: ledger + ".behaviour.latency", wantAt: [2]int{1, 93},
			wantMessage: `"-1s" is not a delay: it must be more than 0`,
		},
		"rateLimitEvery zero": {
			file: behaviour(`{"rateLimitEvery": 0}`), wantPath: ledger + ".behaviour.rateLimitEvery", wantAt: [2]int{1, 100},
			wantMessage: "0 is not a whole number from 1 to 1000000 (answers 429 to every N-th request)",
		},
		"rateLimitEvery a fraction": {
			file: behaviour(`{"rateLimitEvery": 2.5}`), wantPath: ledger + ".behaviour.rateLimitEvery", wantAt: [2]int{1, 100},
			wantMessage: "2.5 is not a whole number from 1 to 1000000 (answers 429 to every N-th request)",
		},
		"rateLimitEvery a string": {
			file: behaviour(`{"rateLimitEvery": "3"}`), wantPath: ledger + ".behaviour.rateLimitEvery", wantAt: [2]int{1, 100},
			wantMessage: "must be a number, not a string",
		},
		"retryAfterSeconds alone": {
			file: behaviour(`{"retryAfterSeconds": 2}`), wantPath: ledger + ".behaviour.retryAfterSeconds", wantAt: [2]int{1, 82},
			wantMessage: `works only with "rateLimitEvery", which is not set`,
		},
		"status not an error": {
			file: behaviour(`{"status": 200}`), wantPath: ledger + ".behaviour.status", wantAt: [2]int{1, 92},
			wantMessage: "200 is not a whole number from 400 to 599 (an HTTP error status such as 403 or 503)",
		},
		"errorCode in lower case": {
			file: behaviour(`{"status": 503, "errorCode": "busy"}`), wantPath: ledger + ".behaviour.errorCode", wantAt: [2]int{1, 110},
			wantMessage: `"busy" is not an Atlas error code: upper case letters, digits and underscores, such as GROUP_NOT_FOUND`,
		},
		"status and rateLimitEvery": {
			file: behaviour(`{"status": 503, "rateLimitEvery": 2}`), wantPath: ledger + ".behaviour", wantAt: [2]int{1, 81},
			wantMessage: `has both "status" and "rateLimitEvery": status answers every request, so keep one`,
		},
		"unknown apiKeys key": {
			file:     `{"apiKeys": [{"publicKey": "p", "privateKey": "s", "role": "x"}], "projects": {"` + fixtureProject + `": {}}}`,
			wantPath: "apiKeys[0].role", wantAt: [2]int{1, 52},
			wantMessage: `unknown key "role": an entry of apiKeys has only "publicKey", "privateKey"`,
		},
		"apiKeys entry without privateKey": {
			file:     `{"apiKeys": [{"publicKey": "p"}], "projects": {"` + fixtureProject + `": {}}}`,
			wantPath: "apiKeys[0].privateKey", wantAt: [2]int{1, 14}, wantMessage: `is missing: each entry needs it`,
		},
		"duplicate clientId": {
			file: `{"serviceAccounts": [{"clientId": "c", "clientSecret": "s"}, {"clientId": "c", "clientSecret": "t"}], ` +
				`"projects": {"` + fixtureProject + `": {}}}`,
			wantPath: "serviceAccounts[1].clientId", wantAt: [2]int{1, 75},
			wantMessage: `"c" is also in serviceAccounts[0]: give each one once`,
		},
		"duplicate JSON key": {
			file:     "{\"projects\": {\"" + fixtureProject + "\": {\"clusters\": {\n  \"ledger\": {},\n  \"ledger\": {}}}}}",
			wantPath: ledger, wantAt: [2]int{3, 3},
			wantMessage: `duplicate key "ledger" (first at line 2): JSON keeps only the last one, so remove or rename one`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := LoadFixtures(strings.NewReader(tc.file))
			var problems *FixturesError
			if !errors.As(err, &problems) {
				t.Fatalf("got %v, %v; want a *FixturesError", f, err)
			}
			if f != nil {
				t.Errorf("fixtures returned with the error: %+v", f)
			}
			want := FixtureProblem{Line: tc.wantAt[0], Column: tc.wantAt[1], Path: tc.wantPath, Message: tc.wantMessage}
			if len(problems.Problems) != 1 || problems.Problems[0] != want {
				t.Fatalf("problems:\n%s\nwant one:\n%s", err, want)
			}
		})
	}
}

// TestLoadFixtures_everyProblem: all the problems of a file come at once, in
// the file's order, so that one run shows everything to fix.
func TestLoadFixtures_everyProblem(t *testing.T) {
	file := `{
  "apiKey": [],
  "projects": {
    "` + fixtureProject + `": {
      "clusters": {
        "ledger": {"exports": [{"id": "x"}, {"state": "Queued"}], "behaviour": {"latency": "soon"}}
      }
    }
  }
}`
	_, err := LoadFixtures(strings.NewReader(file))
	var problems *FixturesError
	if !errors.As(err, &problems) {
		t.Fatalf("got %v; want a *FixturesError", err)
	}
	var got []string
	for _, p := range problems.Problems {
		got = append(got, p.Path)
	}
	ledger := "projects." + fixtureProject + ".clusters.ledger"
	want := []string{"apiKey", ledger + ".exports[0].id", ledger + ".exports[1].id", ledger + ".behaviour.latency"}
	if !slices.Equal(got, want) {
		t.Fatalf("paths %q, want %q; error:\n%v", got, want, err)
	}
	if !strings.HasPrefix(err.Error(), "fixtures: 4 problems:\n  2:3: apiKey: unknown key") {
		t.Errorf("error text:\n%v", err)
	}
}

// TestLoadFixtures_firstProblemOfAnObject: the decoder reports one problem
// of each object of the format (the first), so a second typo in the same
// object shows only once the first is fixed; a value of the wrong type
// leaves the rest of its object unchecked. Other objects are still checked.
func TestLoadFixtures_firstProblemOfAnObject(t *testing.T) {
	file := fixtureWith(`{"behaviour": {"latncy": "1s", "rateLimit": 2}, "exports": [{"id": 5}, {"id": "x", "createdAt": "then"}]}`)
	_, err := LoadFixtures(strings.NewReader(file))
	var problems *FixturesError
	if !errors.As(err, &problems) {
		t.Fatalf("got %v; want a *FixturesError", err)
	}
	var got []string
	for _, p := range problems.Problems {
		got = append(got, p.Path)
	}
	ledger := "projects." + fixtureProject + ".clusters.ledger"
	want := []string{ledger + ".behaviour.latncy", ledger + ".exports[0].id", ledger + ".exports[1].id", ledger + ".exports[1].createdAt"}
	if !slices.Equal(got, want) {
		t.Errorf("paths %q, want %q; error:\n%v", got, want, err)
	}
}

// TestJob_keepsEveryKey: a job decoded from Atlas's JSON is served with every
// key it had, each value as written, including keys the sandbox does not
// model and values its fields could not give back.
func TestJob_keepsEveryKey(t *testing.T) {
	raw := `{"id": "` + fixtureJobID + `", "createdAt": "2026-08-10T03:28:25Z", "state": "Successful",
		"finishedAt": null,
		"exportStatus": {"exportedCollections": 3, "totalCollections": 3, "skippedCollections": 0},
		"prefix": "exported_snapshots/a&b/\u00e9",
		"customData": [],
		"links": [{"href": "https://cloud.mongodb.com/api/atlas/v2/x?a=1&b=2", "rel": "self"}],
		"sizeBytes": 1.50e3,
		"newThing": {"nested": [true, null]}}`
	var job Job
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		t.Fatal(err)
	}
	if job.ID != fixtureJobID || job.CreatedAt != "2026-08-10T03:28:25Z" || job.State != "Successful" {
		t.Errorf("typed fields: %+v", job)
	}
	served, err := job.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	assertSameMembers(t, served, []byte(raw))

	// A job the typed fields hold whole encodes as before, and decodes into
	// the same fields.
	seeded := DocsShardedJobs()[0]
	encoded, err := json.Marshal(seeded)
	if err != nil {
		t.Fatal(err)
	}
	var back Job
	if err := json.Unmarshal(encoded, &back); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	back.raw = nil
	if !bytes.Equal(again, encoded) || !reflect.DeepEqual(back, seeded.AsServed()) {
		t.Errorf("seeded job round trip:\n got %s %+v\nwant %s %+v", again, back, encoded, seeded.AsServed())
	}
}

// assertSameMembers checks that two JSON objects have the same keys, each
// with the same JSON text (white space aside).
func assertSameMembers(t *testing.T, got, want []byte) {
	t.Helper()
	var gotMembers, wantMembers map[string]json.RawMessage
	if err := json.Unmarshal(got, &gotMembers); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if err := json.Unmarshal(want, &wantMembers); err != nil {
		t.Fatal(err)
	}
	compact := func(raw json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for key, w := range wantMembers {
		if g, ok := gotMembers[key]; !ok || compact(g) != compact(w) {
			t.Errorf("key %q: got %s, want %s", key, g, w)
		}
	}
	for key := range gotMembers {
		if _, ok := wantMembers[key]; !ok {
			t.Errorf("key %q served but not in the fixture: %s", key, got)
		}
	}
}

// loadExample loads the fixtures file shipped in examples/.
func loadExample(t *testing.T) (*Fixtures, []byte) {
	t.Helper()
	data, err := os.ReadFile("../../examples/sandbox-fixtures/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := LoadFixtures(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the example fixtures: %v", err)
	}
	return f, data
}

// TestFixtures_example: the shipped example loads with everything it shows:
// two projects, jobs in several states, a sharded job, buckets of each cloud
// and behaviours.
func TestFixtures_example(t *testing.T) {
	f, _ := loadExample(t)
	if len(f.Projects) != 2 || len(f.APIKeys) != 1 || len(f.ServiceAccounts) != 1 {
		t.Fatalf("projects %d, api keys %d, service accounts %d", len(f.Projects), len(f.APIKeys), len(f.ServiceAccounts))
	}
	states := map[string]bool{}
	clouds := map[any]bool{}
	sharded, forbidden, behaving := false, false, false
	for _, p := range f.Projects {
		for _, b := range p.ExportBuckets {
			clouds[b.Bucket["cloudProvider"]] = true
			if _, leaked := b.Bucket[bucketBehaviourKey]; leaked {
				t.Errorf("bucket %s keeps the behaviour key", b.Bucket.ID())
			}
			forbidden = forbidden || b.Behaviour.Status == http.StatusUnauthorized
		}
		for _, c := range p.Clusters {
			behaviour := c.Behaviour
			behaving = behaving || (behaviour.Latency > 0 && behaviour.RateLimitEvery > 0)
			for _, j := range c.Jobs {
				states[j.State] = true
				sharded = sharded || len(j.Components) > 1
				if j.State == "Failed" && j.StateReason == nil {
					t.Errorf("failed job %s has no stateReason", j.ID)
				}
			}
		}
	}
	for _, s := range []string{"Successful", "Failed", "InProgress", "Queued", "Cancelled"} {
		if !states[s] {
			t.Errorf("no %s job", s)
		}
	}
	for _, c := range []string{"AWS", "GCP", "AZURE"} {
		if !clouds[c] {
			t.Errorf("no %s bucket", c)
		}
	}
	if !sharded || !forbidden || !behaving {
		t.Errorf("sharded job %v, bucket answering 401 %v, cluster with latency and rate limit %v", sharded, forbidden, behaving)
	}
	// A cluster whose newest job exports an older snapshot than other jobs,
	// in both forms of the snapshot date.
	for _, c := range f.Projects[0].Clusters {
		if c.Name != "ledger-reexported" {
			continue
		}
		newest := c.Jobs[0]
		if !strings.Contains(newest.Prefix, "/2026-08-10T0327/") || newest.SnapshotID != c.Jobs[3].SnapshotID {
			t.Errorf("the newest job of ledger-reexported does not export the oldest snapshot again: %+v", newest)
		}
		if !strings.Contains(c.Jobs[1].Prefix, "/2026-08-12T0327+0000/") || !strings.Contains(c.Jobs[2].Prefix, "/2026-08-11T0527+0200/") {
			t.Errorf("ledger-reexported lacks the documentation's form of the snapshot date: %q, %q", c.Jobs[1].Prefix, c.Jobs[2].Prefix)
		}
		return
	}
	t.Error("no cluster ledger-reexported")
}

// TestFixtures_roundTrip: the real client lists and gets every job of the
// example fixtures, with the fixtures' credentials, newest first (ties by
// id), each job as the file has it.
func TestFixtures_roundTrip(t *testing.T) {
	f, data := loadExample(t)
	sbx := NewFromFixtures(f)
	sbx.ClearFaults() // the behaviours have their own tests
	srv := httptest.NewServer(sbx)
	t.Cleanup(srv.Close)

	var file struct {
		Projects map[string]struct {
			Clusters map[string]struct {
				Exports []json.RawMessage `json:"exports"`
			} `json:"clusters"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	clients := map[string]atlas.Config{
		"api key":         {PublicKey: f.APIKeys[0].PublicKey, PrivateKey: f.APIKeys[0].PrivateKey},
		"service account": {ClientID: f.ServiceAccounts[0].ClientID, ClientSecret: f.ServiceAccounts[0].ClientSecret},
	}
	for name, cfg := range clients {
		t.Run(name, func(t *testing.T) {
			cfg.BaseURL, cfg.ItemsPerPage = srv.URL, 2 // several pages
			client, err := atlas.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			jobs := 0
			for projectID, project := range file.Projects {
				for cluster, c := range project.Clusters {
					want := make([]atlas.ExportJob, len(c.Exports))
					for i, raw := range c.Exports {
						if err := json.Unmarshal(raw, &want[i]); err != nil {
							t.Fatal(err)
						}
					}
					slices.SortFunc(want, func(a, b atlas.ExportJob) int {
						if c := strings.Compare(*b.CreatedAt, *a.CreatedAt); c != 0 {
							return c
						}
						return strings.Compare(*b.ID, *a.ID)
					})
					list, err := client.ListExportJobs(ctx, projectID, cluster)
					if err != nil {
						t.Fatalf("listing %s: %v", cluster, err)
					}
					if !reflect.DeepEqual(list.Jobs, want) && (len(want) > 0 || len(list.Jobs) > 0) {
						t.Errorf("%s/%s listed:\n got %s\nwant %s", projectID, cluster, jsonText(list.Jobs), jsonText(want))
					}
					for _, w := range want {
						got, err := client.GetExportJob(ctx, projectID, cluster, *w.ID)
						if err != nil {
							t.Fatalf("getting %s: %v", *w.ID, err)
						}
						if !reflect.DeepEqual(*got, w) {
							t.Errorf("got %s, want %s", jsonText(got), jsonText(w))
						}
						jobs++
					}
				}
			}
			if jobs != 10 {
				t.Errorf("%d jobs compared, want the example's 10", jobs)
			}
		})
	}
	// The built-in key pair is replaced by the fixtures' one.
	resp, _ := get(t, digestClient(), srv.URL+exportsPath("v2", fixtureProject, "ledger"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("built-in key pair: %d, want 401", resp.StatusCode)
	}
}

// TestFixtures_servedAsWritten: a job of a fixtures file is served, on the
// list and the get, with every key and value it has in the file.
func TestFixtures_servedAsWritten(t *testing.T) {
	raw := `{"id": "` + fixtureJobID + `", "createdAt": "2026-08-10T03:28:25Z", "finishedAt": null,
		"exportStatus": {"exportedCollections": 3, "totalCollections": 3, "skippedCollections": 1},
		"links": [{"href": "https://cloud.mongodb.com/x?a=1&b=2", "rel": "self"}], "sizeBytes": 1.50e3}`
	f, err := LoadFixtures(strings.NewReader(fixtureWith(`{"exports": [` + raw + `]}`)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewFromFixtures(f))
	t.Cleanup(srv.Close)
	path := exportsPath("v2", fixtureProject, "ledger")

	resp, body := get(t, digestClient(), srv.URL+path)
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != http.StatusOK || len(page.Results) != 1 {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	assertSameMembers(t, page.Results[0], []byte(raw))
	resp, body = get(t, digestClient(), srv.URL+path+"/"+fixtureJobID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	assertSameMembers(t, body, []byte(raw))
}

// TestFixtures_credentials: without apiKeys or serviceAccounts the built-in
// ones work; an empty list accepts none of its kind.
func TestFixtures_credentials(t *testing.T) {
	project := `"projects": {"` + fixtureProject + `": {"clusters": {"ledger": {}}}}`
	cases := map[string]struct {
		file                    string
		wantBuiltInKey, wantKey bool
	}{
		"neither":          {file: `{` + project + `}`, wantBuiltInKey: true},
		"service accounts": {file: `{"serviceAccounts": [{"clientId": "c", "clientSecret": "s"}], ` + project + `}`, wantBuiltInKey: true},
		"api keys":         {file: `{"apiKeys": [{"publicKey": "mine", "privateKey": "secret"}], ` + project + `}`, wantKey: true},
		"no api keys":      {file: `{"apiKeys": [], ` + project + `}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := LoadFixtures(strings.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(NewFromFixtures(f))
			t.Cleanup(srv.Close)
			url := srv.URL + exportsPath("v2", fixtureProject, "ledger")
			builtIn, _ := get(t, digestClient(), url)
			mine, _ := get(t, &http.Client{Transport: digest.NewTransport("mine", "secret")}, url)
			if (builtIn.StatusCode == http.StatusOK) != tc.wantBuiltInKey || (mine.StatusCode == http.StatusOK) != tc.wantKey {
				t.Errorf("built-in key pair %d, fixture key pair %d", builtIn.StatusCode, mine.StatusCode)
			}
		})
	}
}

// TestFixtures_behaviours: a cluster's behaviour shapes the answers of that
// cluster only, in that project only.
func TestFixtures_behaviours(t *testing.T) {
	const otherProject = "6a0c82ed7379b6c6f1df8500"
	file := `{"projects": {
		"` + fixtureProject + `": {"clusters": {
			"limited": {"behaviour": {"rateLimitEvery": 3, "retryAfterSeconds": 7}},
			"slow": {"behaviour": {"latency": "300ms"}},
			"broken": {"behaviour": {"status": 503, "errorCode": "SERVICE_UNAVAILABLE"}},
			"calm": {}}},
		"` + otherProject + `": {"clusters": {"limited": {}}}}}`
	f, err := LoadFixtures(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewFromFixtures(f))
	t.Cleanup(srv.Close)
	client := digestClient()
	statuses := func(project, cluster string, n int) []int {
		var got []int
		for range n {
			resp, _ := get(t, client, srv.URL+exportsPath("v2", project, cluster))
			got = append(got, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q, want 7", resp.Header.Get("Retry-After"))
			}
		}
		return got
	}
	if got, want := statuses(fixtureProject, "limited", 7), []int{200, 200, 429, 200, 200, 429, 200}; !slices.Equal(got, want) {
		t.Errorf("rate limited cluster: %v, want %v", got, want)
	}
	if got := statuses(otherProject, "limited", 3); !slices.Equal(got, []int{200, 200, 200}) {
		t.Errorf("the same name in another project: %v", got)
	}
	if got := statuses(fixtureProject, "calm", 3); !slices.Equal(got, []int{200, 200, 200}) {
		t.Errorf("cluster without behaviour: %v", got)
	}
	resp, body := get(t, client, srv.URL+exportsPath("v2", fixtureProject, "broken"))
	if resp.StatusCode != http.StatusServiceUnavailable || errorCode(t, body) != "SERVICE_UNAVAILABLE" {
		t.Errorf("broken cluster: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	if resp, _ := get(t, client, srv.URL+exportsPath("v2", fixtureProject, "slow")); resp.StatusCode != http.StatusOK {
		t.Errorf("slow cluster: %d", resp.StatusCode)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("slow cluster answered after %v, before its latency of 300ms", elapsed)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestFixtures_exportBuckets: the buckets of a fixtures file are served as
// the file has them (without the format's behaviour key), and a bucket with
// a behaviour answers its status to GETs of it only.
func TestFixtures_exportBuckets(t *testing.T) {
	f, data := loadExample(t)
	srv := httptest.NewServer(NewFromFixtures(f))
	t.Cleanup(srv.Close)
	var file struct {
		Projects map[string]struct {
			ExportBuckets []json.RawMessage `json:"exportBuckets"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	accept := []string{"Accept", acceptBuckets2024}
	client := &http.Client{Transport: digest.NewTransport(f.APIKeys[0].PublicKey, f.APIKeys[0].PrivateKey)}
	served, refused := 0, 0
	for projectID, project := range file.Projects {
		for _, raw := range project.ExportBuckets {
			var entry map[string]json.RawMessage
			if err := json.Unmarshal(raw, &entry); err != nil {
				t.Fatal(err)
			}
			var id string
			_ = json.Unmarshal(entry["_id"], &id)
			resp, body := get(t, client, srv.URL+bucketPath(projectID, id), accept...)
			if _, behaves := entry[bucketBehaviourKey]; behaves {
				if resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != "USER_UNAUTHORIZED" {
					t.Errorf("bucket %s: %d %s, want 401 USER_UNAUTHORIZED", id, resp.StatusCode, body)
				}
				refused++
				continue
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("bucket %s: %d %s", id, resp.StatusCode, body)
			}
			assertSameMembers(t, body, raw)
			served++
		}
	}
	if served != 3 || refused != 1 {
		t.Errorf("%d buckets served and %d refused, want the example's 3 and 1", served, refused)
	}

	// Numbers and keys Atlas may add pass through as written.
	const bucket = `{"_id": "` + bucketID + `", "bucketName": "b", "cloudProvider": "AWS", "sizeLimit": 1.50e3, "tags": {"a": null}}`
	f, err := LoadFixtures(strings.NewReader(`{"projects": {"` + fixtureProject + `": {"exportBuckets": [` + bucket + `]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(NewFromFixtures(f))
	t.Cleanup(srv2.Close)
	resp, body := get(t, digestClient(), srv2.URL+bucketPath(fixtureProject, bucketID), accept...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	assertSameMembers(t, body, []byte(bucket))
}

// TestFixtures_guideExamplesLoad: every fixtures example of the testing
// guide loads, but for the sketch of the format, whose values are "...".
func TestFixtures_guideExamplesLoad(t *testing.T) {
	data, err := os.ReadFile("../../templates/guides/testing-modules.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for i, block := range strings.Split(string(data), "```json\n")[1:] {
		example, _, closed := strings.Cut(block, "\n```")
		if !closed {
			t.Fatalf("json block %d is not closed", i+1)
		}
		if strings.Contains(example, `"..."`) {
			continue
		}
		if _, err := LoadFixtures(strings.NewReader(example)); err != nil {
			t.Errorf("json block %d of the guide does not load: %v", i+1, err)
		}
		loaded++
	}
	if loaded == 0 {
		t.Error("the guide has no fixtures example that should load")
	}
}
