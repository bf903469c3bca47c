package atlas

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// TestListExportJobs_documentationExamples serves both examples of the Atlas
// documentation page (testdata/docs-*.json: their shape, our ids; v1.0,
// application/json) and checks that every field decodes to exactly the
// value in the body: the prefix with its leading slash and placeholders, the
// components, customData [] as an empty list and customData left out as nil.
func TestListExportJobs_documentationExamples(t *testing.T) {
	examples := docExamples(t)
	cases := map[string]struct {
		body      []byte
		wantJobs  []ExportJob
		wantTotal int
	}{
		"replica set": {
			body: examples[0],
			wantJobs: []ExportJob{{
				CreatedAt:      ptr("2024-06-11T09:12:40Z"),
				ExportBucketID: ptr("{BUCKET-ID}"),
				ID:             ptr("6668155883b2c1d0e9f7a601"),
				Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2024-06-11T0912+0000/1718097160"),
				SnapshotID:     ptr("{SNAPSHOT-ID}"),
				State:          ptr("InProgress"),
			}},
			wantTotal: 1,
		},
		"sharded cluster": {
			body: examples[1],
			wantJobs: []ExportJob{
				{
					Components: []Component{
						{ExportID: ptr("668408160a7c3e5d9b1f2e41"), ReplicaSetName: ptr("atlas-k3v9qz-shard-0")},
						{ExportID: ptr("668408160a7c3e5d9b1f2e43"), ReplicaSetName: ptr("atlas-k3v9qz-shard-1")},
					},
					CreatedAt:      ptr("2024-07-02T14:05:10Z"),
					CustomData:     []Label{},
					ExportBucketID: ptr("{BUCKET-ID}"),
					ID:             ptr("668408160a7c3e5d9b1f2e40"),
					Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2024-07-02T1402/1719929110"),
					SnapshotID:     ptr("{SNAPSHOT-ID}"),
					State:          ptr("Queued"),
				},
				{
					Components: []Component{
						{ExportID: ptr("6684078f0a7c3e5d9b1f2d11"), ReplicaSetName: ptr("atlas-k3v9qz-shard-0")},
						{ExportID: ptr("6684078f0a7c3e5d9b1f2d13"), ReplicaSetName: ptr("atlas-k3v9qz-shard-1")},
					},
					CreatedAt:      ptr("2024-07-02T14:02:55Z"),
					CustomData:     []Label{},
					ExportBucketID: ptr("{BUCKET-ID}"),
					ID:             ptr("6684078f0a7c3e5d9b1f2d10"),
					Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2024-07-02T1402/1719928975"),
					SnapshotID:     ptr("{SNAPSHOT-ID}"),
					State:          ptr("Successful"),
				},
			},
			wantTotal: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, nil)
			sbx.AddFault(rawFault(http.StatusOK, MediaTypeV1, tc.body))
			client := newTestClient(t, srv.URL, func(cfg *Config) { cfg.APIVersion = APIVersionV1 })

			list := listTestCluster(t, client)

			if !reflect.DeepEqual(list.Jobs, tc.wantJobs) {
				t.Errorf("jobs decoded as\n%s\nwant\n%s", jsonText(list.Jobs), jsonText(tc.wantJobs))
			}
			if list.TotalCount != tc.wantTotal {
				t.Errorf("TotalCount %d, want %d", list.TotalCount, tc.wantTotal)
			}
			for i, job := range list.Jobs {
				if tc.wantJobs[i].CustomData == nil && job.CustomData != nil {
					t.Errorf("job %d: customData is absent from the body but decoded as %#v, not nil", i, job.CustomData)
				}
				if tc.wantJobs[i].CustomData != nil && job.CustomData == nil {
					t.Errorf("job %d: customData [] decoded as nil, want an empty list", i)
				}
			}
			assertResultsUnchanged(t, name, list, tc.body)
		})
	}
}

// assertResultsUnchanged compares the listed jobs with a generic decode of
// the page body they came from, field by field.
func assertResultsUnchanged(t *testing.T, what string, list *ExportJobList, body []byte) {
	t.Helper()
	var page struct {
		Results    []map[string]any `json:"results"`
		TotalCount *int             `json:"totalCount"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("%s: generic decode: %v", what, err)
	}
	if len(list.Jobs) != len(page.Results) {
		t.Fatalf("%s: %d jobs, the body has %d", what, len(list.Jobs), len(page.Results))
	}
	// The body is newest first already, as Atlas sends it.
	for i := range page.Results {
		assertSameJSON(t, what+": results["+str(list.Jobs[i].ID)+"]", list.Jobs[i], page.Results[i])
	}
	if page.TotalCount != nil && *page.TotalCount != list.TotalCount {
		t.Errorf("%s: TotalCount %d, the body has %d", what, list.TotalCount, *page.TotalCount)
	}
}

// TestDecode_realAnswers serves the fixtures written after real Atlas
// answers (testdata/README.md) as Atlas does, decodes each with the client
// and compares it field by field with a generic decode of the same body.
// It runs in every checkout; TestDecode_recordings does the same with every
// recording when the reference material is present.
func TestDecode_realAnswers(t *testing.T) {
	for _, f := range realFixtures() {
		t.Run(f.file, func(t *testing.T) {
			assertDecodesUnchanged(t, f.file, f.operation, http.StatusOK, v2ContentType, f.body(t))
		})
	}
}

// TestDecode_recordings serves every recorded Atlas answer of the list,
// describe and watch operations with its status and content type, decodes
// it with the client and compares it field by field with a generic decode
// of the same body: nothing dropped or altered.
func TestDecode_recordings(t *testing.T) {
	requireShared(t)
	operations := map[string]string{"List_jobs": "list", "Describe_job": "get", "Watch_create_job": "get"}
	decoded := 0
	for _, rec := range readRecordings(t) {
		operation, ok := operations[rec.folder]
		if !ok {
			continue
		}
		decoded++
		t.Run(rec.name, func(t *testing.T) {
			assertDecodesUnchanged(t, rec.name, operation, rec.status, rec.contentType, rec.body)
		})
	}
	if decoded != 44 {
		t.Errorf("decoded %d recordings, want the 44 of List_jobs, Describe_job and Watch_create_job", decoded)
	}
}

// assertDecodesUnchanged serves body as the answer of operation ("list" or
// "get"), decodes it with the client and compares the result field by field
// with a generic decode of body. Atlas's own shapes are checked too:
// finishedAt absent while a job runs (nil), the prefix without a leading
// slash, customData [] as an empty list.
func assertDecodesUnchanged(t *testing.T, what, operation string, status int, contentType string, body []byte) {
	t.Helper()
	sbx, srv := startSandbox(t, nil)
	sbx.AddFault(rawFault(status, contentType, body))
	client := newTestClient(t, srv.URL)
	ctx := context.Background()

	var jobs []ExportJob
	if operation == "list" {
		list, err := client.ListExportJobs(ctx, testProject, testCluster)
		if err != nil {
			t.Fatalf("ListExportJobs: %v", err)
		}
		assertResultsUnchanged(t, what, list, body)
		jobs = list.Jobs
	} else {
		var generic map[string]any
		if err := json.Unmarshal(body, &generic); err != nil {
			t.Fatalf("generic decode: %v", err)
		}
		id, _ := generic["id"].(string)
		job, err := client.GetExportJob(ctx, testProject, testCluster, id)
		if err != nil {
			t.Fatalf("GetExportJob: %v", err)
		}
		assertSameJSON(t, what, job, generic)
		jobs = []ExportJob{*job}
	}
	for _, job := range jobs {
		assertAtlasShapes(t, job, body)
	}
}

// assertAtlasShapes checks what the recordings show of real answers.
func assertAtlasShapes(t *testing.T, job ExportJob, body []byte) {
	t.Helper()
	running := str(job.State) == StateQueued || str(job.State) == StateInProgress
	if running && job.FinishedAt != nil {
		t.Errorf("a %s job has finishedAt %q", str(job.State), *job.FinishedAt)
	}
	if !running && job.FinishedAt == nil {
		t.Errorf("a %s job has no finishedAt", str(job.State))
	}
	if job.Prefix == nil || strings.HasPrefix(*job.Prefix, "/") || !strings.HasPrefix(*job.Prefix, "exported_snapshots/") {
		t.Errorf("prefix %v: want exported_snapshots/... without a leading slash", job.Prefix)
	}
	if strings.Contains(string(body), `"customData":[]`) && (job.CustomData == nil || len(job.CustomData) != 0) {
		t.Errorf("customData [] decoded as %#v, want an empty non-nil list", job.CustomData)
	}
}
