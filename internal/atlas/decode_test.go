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
// documentation page verbatim (v1.0, application/json) and checks that every
// field decodes to exactly the documented value: the prefix with its leading
// slash and placeholders, the components, customData [] as an empty list and
// customData left out as nil.
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
				CreatedAt:      ptr("2021-03-25T16:49:23Z"),
				ExportBucketID: ptr("{BUCKET-ID}"),
				ID:             ptr("605ccba3c1c7613f423e1585"),
				Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2021-03-25T1649+0000/1616694179"),
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
						{ExportID: ptr("60675896c37241327a557130"), ReplicaSetName: ptr("atlas-xxxxxx-shard-0")},
						{ExportID: ptr("60675896c37241327a557132"), ReplicaSetName: ptr("atlas-wnvwfd-shard-1")},
					},
					CreatedAt:      ptr("2021-04-02T17:47:02Z"),
					CustomData:     []Label{},
					ExportBucketID: ptr("{BUCKET-ID}"),
					ID:             ptr("60675896c37241327a55712f"),
					Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2021-04-02T1742/1617385622"),
					SnapshotID:     ptr("{SNAPSHOT-ID}"),
					State:          ptr("Queued"),
				},
				{
					Components: []Component{
						{ExportID: ptr("606758180d97065aabbe5b86"), ReplicaSetName: ptr("atlas-xxxxxx-shard-0")},
						{ExportID: ptr("606758180d97065aabbe5b88"), ReplicaSetName: ptr("atlas-xxxxxx-shard-1")},
					},
					CreatedAt:      ptr("2021-04-02T17:44:56Z"),
					CustomData:     []Label{},
					ExportBucketID: ptr("{BUCKET-ID}"),
					ID:             ptr("606758180d97065aabbe5b85"),
					Prefix:         ptr("/exported_snapshots/{ORG-NAME}/{PROJECT-NAME}/{CLUSTER-NAME}/2021-04-02T1742/1617385496"),
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

// TestDecode_recordings serves every recorded Atlas answer of the list,
// describe and watch operations with its status and content type, decodes
// it with the client and compares it field by field with a generic decode
// of the same body: nothing dropped or altered. Atlas's own shapes are
// checked too: finishedAt absent while a job runs (nil), the prefix without
// a leading slash, customData [] as an empty list.
func TestDecode_recordings(t *testing.T) {
	decoded := 0
	for _, rec := range readRecordings(t) {
		if rec.folder != "List_jobs" && rec.folder != "Describe_job" && rec.folder != "Watch_create_job" {
			continue
		}
		decoded++
		t.Run(rec.name, func(t *testing.T) {
			sbx, srv := startSandbox(t, nil)
			sbx.AddFault(rawFault(rec.status, rec.contentType, rec.body))
			client := newTestClient(t, srv.URL)
			ctx := context.Background()

			var jobs []ExportJob
			if rec.folder == "List_jobs" {
				list, err := client.ListExportJobs(ctx, testProject, testCluster)
				if err != nil {
					t.Fatalf("ListExportJobs: %v", err)
				}
				assertResultsUnchanged(t, rec.name, list, rec.body)
				jobs = list.Jobs
			} else {
				var generic map[string]any
				if err := json.Unmarshal(rec.body, &generic); err != nil {
					t.Fatalf("generic decode: %v", err)
				}
				id, _ := generic["id"].(string)
				job, err := client.GetExportJob(ctx, testProject, testCluster, id)
				if err != nil {
					t.Fatalf("GetExportJob: %v", err)
				}
				assertSameJSON(t, rec.name, job, generic)
				jobs = []ExportJob{*job}
			}

			for _, job := range jobs {
				assertAtlasShapes(t, job, rec.body)
			}
		})
	}
	if decoded != 44 {
		t.Errorf("decoded %d recordings, want the 44 of List_jobs, Describe_job and Watch_create_job", decoded)
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
