package atlas

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

const bucketSpec = "export-buckets-v2.yaml"

// loadBucketSpec loads the export bucket contract, aimed at baseURL. Unlike
// the export job contracts its jobs need no workaround; its errors need the
// one for ApiError.parameters (allowRecordedErrorParameters).
func loadBucketSpec(t *testing.T, baseURL string) (*openapi3.T, routers.Router) {
	t.Helper()
	requireShared(t)
	path := filepath.Join(sharedDir, "atlas-openapi", bucketSpec)
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatalf("loading the published contract %s: %v", path, err)
	}
	allowRecordedErrorParameters(t, doc, path)
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc, router
}

// validateBucketVariant checks a 2024-05-30 answer against the schema its
// cloudProvider selects. kin-openapi applies a discriminator only under
// oneOf or anyOf, and DiskBackupSnapshotExportBucketResponse has neither:
// the route's validation checks the common fields alone, so each cloud's
// required fields (Azure's tenantId, GCP's roleId) are checked here.
func validateBucketVariant(doc *openapi3.T, ex exchange) error {
	if ex.status != http.StatusOK || ex.header.Get("Accept") != MediaTypeBuckets {
		return nil
	}
	base := doc.Components.Schemas["DiskBackupSnapshotExportBucketResponse"].Value
	var body map[string]any
	if err := json.Unmarshal(ex.body, &body); err != nil {
		return err
	}
	cloud, _ := body["cloudProvider"].(string)
	ref, ok := base.Discriminator.Mapping[cloud]
	if !ok {
		return fmt.Errorf("cloudProvider %q has no schema in the discriminator's mapping", cloud)
	}
	variant := doc.Components.Schemas[strings.TrimPrefix(ref.Ref, "#/components/schemas/")]
	if variant == nil {
		return fmt.Errorf("the discriminator maps %q to %s, which the contract does not define", cloud, ref.Ref)
	}
	return variant.Value.VisitJSON(body, openapi3.MultiErrors())
}

// TestContract_exportBuckets reads every seeded bucket, a deleted one, and
// the AWS bucket in the older 2023-01-01 version, and checks each request
// and answer against the published export bucket contract: the discriminated
// 2024-05-30 schemas of each cloud, the AWS-only 2023-01-01 schema, and the
// 404 envelope.
func TestContract_exportBuckets(t *testing.T) {
	for name, serviceAccount := range map[string]bool{"key pair": false, "service account": true} {
		t.Run(name, func(t *testing.T) {
			rec := &exchangeRecorder{next: sandbox.New()}
			srv := serve(t, rec)
			doc, router := loadBucketSpec(t, srv.URL)
			client := newTestClient(t, srv.URL, func(cfg *Config) {
				if serviceAccount {
					withServiceAccount(cfg)
				}
			})
			ctx := context.Background()
			for _, b := range sandbox.SeededExportBuckets() {
				if _, err := client.GetExportBucket(ctx, sandbox.ProjectID, b.ID()); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := client.GetExportBucket(ctx, sandbox.ProjectID, sandbox.BucketDeleted); !errors.Is(err, ErrExportBucketNotFound) {
				t.Fatalf("the deleted bucket: %v", err)
			}
			var aws ExportBucket
			if err := client.get(ctx, client.exportBucketURL(sandbox.ProjectID, sandbox.BucketAWS), MediaTypeV2, &aws); err != nil {
				t.Fatal(err)
			}
			// The 2023-01-01 version has no schema for the other clouds.
			if err := client.get(ctx, client.exportBucketURL(sandbox.ProjectID, sandbox.BucketGCP), MediaTypeV2, &ExportBucket{}); StatusCode(err) != http.StatusNotFound {
				t.Fatalf("a GCP bucket in 2023-01-01: %v, want a 404", err)
			}
			operations := len(sandbox.SeededExportBuckets()) + 3
			srv.Close()

			validated := 0
			for _, ex := range rec.recorded() {
				if strings.HasPrefix(ex.requestURI, "/api/oauth/token") || (ex.header.Get("Authorization") == "" && ex.status == http.StatusUnauthorized) {
					continue
				}
				validated++
				if err := cmp.Or(validateExchange(ctx, router, srv.URL, ex), validateBucketVariant(doc, ex)); err != nil {
					t.Errorf("%s %s (Accept %s) breaks the contract: %v", ex.method, ex.requestURI, ex.header.Get("Accept"), err)
				}
			}
			if validated != operations {
				t.Errorf("validated %d exchanges, want %d", validated, operations)
			}
		})
	}
}

// TestContract_exportBucketViolations shows that the check above can fail.
func TestContract_exportBucketViolations(t *testing.T) {
	const baseURL = "http://127.0.0.1:1"
	doc, router := loadBucketSpec(t, baseURL)
	check := func(ex exchange) error {
		return cmp.Or(validateExchange(context.Background(), router, baseURL, ex), validateBucketVariant(doc, ex))
	}
	good := exchange{
		method: http.MethodGet, requestURI: "/api/atlas/v2/groups/" + sandbox.ProjectID + "/backup/exportBuckets/" + sandbox.BucketAzure,
		header:         http.Header{"Accept": {MediaTypeBuckets}, "Authorization": {`Digest username="x"`}},
		status:         http.StatusOK,
		responseHeader: http.Header{"Content-Type": {MediaTypeBuckets + ";charset=utf-8"}},
		body: []byte(`{"_id":"64b7e30ac1d2a3b4c5d6e802","bucketName":"exportcontainer","cloudProvider":"AZURE","roleId":"64b7e31bc1d2a3b4c5d6e902",` +
			`"serviceUrl":"https://atlasexportsdocs.blob.core.windows.net/exportcontainer","tenantId":"4297fc77-1592-4de8-a6d5-a8c32401df87"}`),
	}
	if err := check(good); err != nil {
		t.Fatalf("a valid exchange is rejected: %v", err)
	}
	cases := map[string]func(*exchange){
		"Azure without tenantId": func(ex *exchange) {
			ex.body = []byte(strings.Replace(string(ex.body), `,"tenantId":"4297fc77-1592-4de8-a6d5-a8c32401df87"`, "", 1))
		},
		"GCP without roleId": func(ex *exchange) {
			ex.body = []byte(`{"_id":"64b7e30ac1d2a3b4c5d6e801","bucketName":"atlas-exports-gcs","cloudProvider":"GCP"}`)
		},
		"no _id": func(ex *exchange) {
			ex.body = []byte(strings.Replace(string(ex.body), `"_id":"64b7e30ac1d2a3b4c5d6e802",`, "", 1))
		},
		"unknown cloud": func(ex *exchange) { ex.body = []byte(strings.Replace(string(ex.body), `"AZURE"`, `"OCI"`, 1)) },
		"Azure in 2023": func(ex *exchange) {
			ex.header.Set("Accept", MediaTypeV2)
			ex.responseHeader.Set("Content-Type", MediaTypeV2)
		},
		"v1.0 Accept":    func(ex *exchange) { ex.header.Set("Accept", MediaTypeV1) },
		"bucket ID":      func(ex *exchange) { ex.requestURI = strings.Replace(ex.requestURI, sandbox.BucketAzure, "not-hex", 1) },
		"no credentials": func(ex *exchange) { ex.header.Del("Authorization") },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			ex := good
			ex.header, ex.responseHeader = good.header.Clone(), good.responseHeader.Clone()
			spoil(&ex)
			if err := check(ex); err == nil {
				t.Errorf("the spoiled exchange passes the contract check")
			}
		})
	}
}

// TestDecode_bucketRecordings: Atlas's recorded bucket answers decode
// unchanged into ExportBucket, through the client for the single-bucket GET.
// The list's items lack region, which only the single GET returns: the
// reason the client reads buckets one by one.
func TestDecode_bucketRecordings(t *testing.T) {
	requireShared(t)
	described, listed := 0, 0
	for _, rec := range readRecordings(t) {
		switch rec.folder {
		case "Describe_bucket":
			described++
			t.Run(rec.name, func(t *testing.T) {
				var generic map[string]any
				if err := json.Unmarshal(rec.body, &generic); err != nil {
					t.Fatal(err)
				}
				sbx, srv := startSandbox(t, nil)
				sbx.AddFault(rawFault(rec.status, rec.contentType, rec.body))
				bucket, err := newTestClient(t, srv.URL).GetExportBucket(context.Background(), testProject, sandbox.ExportBucket(generic).ID())
				if err != nil {
					t.Fatal(err)
				}
				assertSameJSON(t, rec.name, bucket, generic)
				if bucket.Region == nil {
					t.Errorf("a described bucket without region")
				}
			})
		case "List_buckets":
			listed++
			t.Run(rec.name, func(t *testing.T) {
				var page struct{ Results []ExportBucket }
				var generic struct{ Results []map[string]any }
				if err := json.Unmarshal(rec.body, &page); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(rec.body, &generic); err != nil || len(generic.Results) == 0 {
					t.Fatalf("%v, %d results", err, len(generic.Results))
				}
				for i := range generic.Results {
					assertSameJSON(t, rec.name, page.Results[i], generic.Results[i])
					if page.Results[i].Region != nil {
						t.Errorf("a listed bucket with region %q: the list now has it", *page.Results[i].Region)
					}
				}
			})
		}
	}
	if described != 3 || listed != 2 {
		t.Errorf("decoded %d described and %d listed buckets' recordings, want 3 and 2", described, listed)
	}
}
