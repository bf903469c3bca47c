package sandbox

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func bucketPath(project, bucket string) string {
	return "/api/atlas/v2/groups/" + project + "/backup/exportBuckets/" + bucket
}

// TestServer_exportBucket: the bucket GET answers each seeded bucket as
// stored in the version asked for; the AWS-only 2023-01-01 version does not
// know the other clouds' buckets; other media types get 406, a deleted or
// unknown bucket Atlas's EXPORT_BUCKET_NOT_FOUND.
func TestServer_exportBucket(t *testing.T) {
	_, srv := startSeeded(t)
	seeded := map[string]ExportBucket{}
	for _, b := range SeededExportBuckets() {
		seeded[b.ID()] = b
	}
	const v2024, v2023 = acceptBuckets2024, acceptBuckets2023
	cases := map[string]struct {
		bucket, accept string
		wantStatus     int
		wantCode       string // of an error
		wantType       string // of a 200
	}{
		"AWS, 2024-05-30":               {BucketAWS, v2024, http.StatusOK, "", contentTypeBuckets2024},
		"GCP, 2024-05-30":               {BucketGCP, v2024, http.StatusOK, "", contentTypeBuckets2024},
		"Azure, 2024-05-30":             {BucketAzure, v2024, http.StatusOK, "", contentTypeBuckets2024},
		"Azure account only":            {BucketAzureAccountOnly, v2024, http.StatusOK, "", contentTypeBuckets2024},
		"AWS, 2023-01-01":               {BucketAWS, v2023, http.StatusOK, "", contentTypeV2},
		"both, the newer wins":          {BucketAWS, v2023 + ", " + v2024, http.StatusOK, "", contentTypeBuckets2024},
		"GCP, 2023-01-01":               {BucketGCP, v2023, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND", ""},
		"Azure, 2023-01-01":             {BucketAzure, v2023, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND", ""},
		"deleted":                       {BucketDeleted, v2024, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND", ""},
		"application/json":              {BucketAWS, "application/json", http.StatusNotAcceptable, "INVALID_VERSION_DATE", ""},
		"another version":               {BucketAWS, "application/vnd.atlas.2025-03-12+json", http.StatusNotAcceptable, "INVALID_VERSION_DATE", ""},
		"a parameter on the media type": {BucketGCP, v2024 + ";charset=utf-8", http.StatusOK, "", contentTypeBuckets2024},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, digestClient(), srv.URL+bucketPath(ProjectID, tc.bucket), "Accept", tc.accept)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantCode != "" {
				if got := errorCode(t, body); got != tc.wantCode || resp.Header.Get("Content-Type") != contentTypeError {
					t.Errorf("errorCode %q with %q, want %q with %q", got, resp.Header.Get("Content-Type"), tc.wantCode, contentTypeError)
				}
				return
			}
			if resp.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.wantType)
			}
			var got ExportBucket
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, seeded[tc.bucket]) {
				t.Errorf("answer %v, want %v", got, seeded[tc.bucket])
			}
		})
	}
}

// TestServer_exportBucketChanges: SetExportBuckets replaces by "_id" and
// keeps unknown keys; DeleteExportBucket makes later GETs 404; a project the
// sandbox does not know is GROUP_NOT_FOUND; the route needs credentials.
func TestServer_exportBucketChanges(t *testing.T) {
	s, srv := startSeeded(t)
	path := srv.URL + bucketPath(ProjectID, BucketGCP)
	accept := []string{"Accept", acceptBuckets2024}
	replaced := ExportBucket{"_id": BucketGCP, "bucketName": "renamed", "cloudProvider": "GCP", "roleId": "64b7e31bc1d2a3b4c5d6e901", "newField": "kept"}
	s.SetExportBuckets(ProjectID, replaced)
	resp, body := get(t, digestClient(), path, accept...)
	var got ExportBucket
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK || !reflect.DeepEqual(got, replaced) {
		t.Fatalf("after SetExportBuckets: %d %s, want %v", resp.StatusCode, body, replaced)
	}
	s.DeleteExportBucket(ProjectID, BucketGCP)
	if resp, body := get(t, digestClient(), path, accept...); resp.StatusCode != http.StatusNotFound || errorCode(t, body) != "EXPORT_BUCKET_NOT_FOUND" {
		t.Errorf("after DeleteExportBucket: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, digestClient(), srv.URL+bucketPath("0123456789abcdef01234567", BucketAWS), accept...); resp.StatusCode != http.StatusNotFound || errorCode(t, body) != "GROUP_NOT_FOUND" {
		t.Errorf("unknown project: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, http.DefaultClient, srv.URL+bucketPath(ProjectID, BucketAWS), accept...); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("without credentials: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, digestClient(), srv.URL+"/api/atlas/v1.0/groups/"+ProjectID+"/backup/exportBuckets/"+BucketAWS, accept...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the v1.0 bucket path is not served: %d", resp.StatusCode)
	}
}

// TestServer_exportBucketFaults: a fault with ExportBucketID fires only on
// GETs of that bucket; faults of a cluster or a page never fire on buckets.
func TestServer_exportBucketFaults(t *testing.T) {
	jobs := exportsPath("v2", ProjectID, ClusterSharded)
	cases := map[string]struct {
		fault      Fault
		path       string
		wantStatus int
	}{
		"its bucket":           {Fault{ExportBucketID: BucketGCP, Status: http.StatusForbidden}, bucketPath(ProjectID, BucketGCP), http.StatusForbidden},
		"another bucket":       {Fault{ExportBucketID: BucketGCP, Status: http.StatusForbidden}, bucketPath(ProjectID, BucketAWS), http.StatusOK},
		"not the job list":     {Fault{ExportBucketID: BucketGCP, Status: http.StatusForbidden}, jobs, http.StatusOK},
		"a cluster's fault":    {Fault{Cluster: ClusterSharded, Status: http.StatusInternalServerError}, bucketPath(ProjectID, BucketGCP), http.StatusOK},
		"a page's fault":       {Fault{Page: 1, Status: http.StatusInternalServerError}, bucketPath(ProjectID, BucketGCP), http.StatusOK},
		"a fault of any route": {Fault{Status: http.StatusServiceUnavailable}, bucketPath(ProjectID, BucketGCP), http.StatusServiceUnavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, srv := startSeeded(t)
			s.AddFault(tc.fault)
			resp, body := get(t, digestClient(), srv.URL+tc.path, "Accept", acceptBuckets2024+", "+acceptV2)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		s, srv := startSeeded(t)
		s.AddFault(Fault{ExportBucketID: BucketAWS, Truncate: true})
		req, _ := http.NewRequest(http.MethodGet, srv.URL+bucketPath(ProjectID, BucketAWS), nil)
		req.Header.Set("Accept", acceptBuckets2024)
		resp, err := digestClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b ExportBucket
		if err := json.NewDecoder(resp.Body).Decode(&b); err == nil {
			t.Errorf("a truncated answer decoded: %v", b)
		}
	})
}

// TestBucketKindsJobs: the bucket-kinds cluster names every seeded bucket and
// the deleted one, newest first.
func TestBucketKindsJobs(t *testing.T) {
	want := []string{BucketAWS, BucketGCP, BucketAzure, BucketAzureAccountOnly, BucketDeleted}
	jobs := BucketKindsJobs()
	if len(jobs) != len(want) {
		t.Fatalf("%d jobs, want %d", len(jobs), len(want))
	}
	for i, job := range jobs {
		if job.ExportBucketID != want[i] || (i > 0 && jobs[i-1].CreatedAt <= job.CreatedAt) {
			t.Errorf("job %d: bucket %s created %s", i, job.ExportBucketID, job.CreatedAt)
		}
	}
	seen := map[string]bool{}
	for _, job := range GenerateJobs("c1", 30, 1) {
		seen[job.ExportBucketID] = true
	}
	if len(seen) != 3 {
		t.Errorf("generated jobs name %d distinct buckets, want 3", len(seen))
	}
}
