package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A fixtures cluster with snapshots and an exportLifecycle: the sandbox
// serves the snapshots and runs the jobs it creates as the file says.
func TestFixtures_snapshotsAndExportLifecycle(t *testing.T) {
	const doc = `{"projects": {"6a0c82ed7379b6c6f1df8400": {
  "exportBuckets": [{"_id": "6a0c82ed7379b6c6f1df84d7", "bucketName": "ledger-exports", "cloudProvider": "AWS"}],
  "clusters": {"ledger": {
    "exports": [],
    "snapshots": [
      {"id": "6a7943462c88faeba59ccf5f", "status": "completed", "createdAt": "2026-08-10T03:27:34Z", "frequencyType": "ondemand",
       "links": [{"href": "https://cloud.mongodb.com/x", "rel": "self"}]},
      {"id": "6a7943462c88faeba59ccf60", "status": "inProgress"}
    ],
    "exportLifecycle": {"queued": "1s", "inProgress": "1s", "outcome": "Failed",
      "stateReason": {"errorCode": "EXPORT_FAILED", "message": "Made up: the bucket refused the write."}}
  }}}}}`
	f, err := LoadFixtures(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := NewFromFixtures(f)
	clock := NewManualClock(time.Now())
	s.SetClock(clock.Now)
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/api/atlas/v2/groups/6a0c82ed7379b6c6f1df8400/clusters/ledger/backup"
	_, issued := token(t, srv, http.MethodPost, ClientSecret, "client_credentials")
	bearer, _ := issued["access_token"].(string)
	do := func(method, url, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, url, bytes.NewBufferString(body))
		req.Header.Set("Accept", acceptV2)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %v %v", method, url, resp.StatusCode, out, err)
		}
		return out
	}
	list := do(http.MethodGet, base+"/snapshots", "")
	if results, _ := list["results"].([]any); len(results) != 2 {
		t.Fatalf("snapshots = %v, want the file's 2", list)
	}
	job := do(http.MethodPost, base+"/exports", `{"snapshotId":"6a7943462c88faeba59ccf5f","exportBucketId":"6a0c82ed7379b6c6f1df84d7"}`)
	clock.Advance(3 * time.Second)
	id, _ := job["id"].(string)
	job = do(http.MethodGet, base+"/exports/"+id, "")
	reason, _ := job["stateReason"].(map[string]any)
	if job["state"] != "Failed" || reason["errorCode"] != "EXPORT_FAILED" {
		t.Errorf("job = %v, want Failed with the file's stateReason", job)
	}
}

func TestFixtures_snapshotAndLifecycleMistakes(t *testing.T) {
	for name, tc := range map[string]struct{ cluster, want string }{
		"status":     {`"snapshots": [{"id": "6a7943462c88faeba59ccf5f", "status": "done"}]`, `needs a "status", one of "queued", "inProgress", "completed", "failed"`},
		"id":         {`"snapshots": [{"status": "completed"}]`, `needs an "id"`},
		"typo":       {`"snapshots": [{"id": "6a7943462c88faeba59ccf5f", "status": "completed", "createAt": "2026-08-10T03:27:34Z"}]`, `unknown key "createAt" (did you mean "createdAt"?)`},
		"duration":   {`"exportLifecycle": {"queued": "soon"}`, `"soon" is not a duration`},
		"outcome":    {`"exportLifecycle": {"outcome": "Done"}`, `"Done" is not one of "Successful", "Failed", "Cancelled"`},
		"reason":     {`"exportLifecycle": {"stateReason": {"errorCode": "X", "message": "y"}}`, `set "outcome" too`},
		"lifecycles": {`"exportLifecycles": {}`, `unknown key "exportLifecycles" (did you mean "exportLifecycle"?)`},
	} {
		t.Run(name, func(t *testing.T) {
			doc := `{"projects": {"6a0c82ed7379b6c6f1df8400": {"clusters": {"ledger": {"exports": [], ` + tc.cluster + `}}}}}`
			_, err := LoadFixtures(strings.NewReader(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %s", err, tc.want)
			}
		})
	}
}
