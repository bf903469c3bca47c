package atlas

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestDigest_answersCachedChallengeAhead proves the round trips the cached
// challenge saves, and that a server refusing nonce reuse still gets every
// page, through mongodb-forks/digest's own challenge handling.
func TestDigest_answersCachedChallengeAhead(t *testing.T) {
	cases := map[string]struct {
		singleUse bool
		// requests the sandbox sees for two reads of 3 pages each (the
		// 1,000 jobs of 500 per page end with an empty third page).
		wantRequests, wantChallenges int
	}{
		"nonce reused":            {singleUse: false, wantRequests: 1 + 6, wantChallenges: 1},
		"strict single-use nonce": {singleUse: true, wantRequests: 2 * 6, wantChallenges: 6},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx := sandbox.NewEmpty()
			sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
			sbx.SetJobs(sandbox.ProjectID, "c1", sandbox.GenerateJobs("c1", 1000, 3))
			sbx.SingleUseNonces = tc.singleUse
			srv := httptest.NewServer(sbx)
			t.Cleanup(srv.Close)
			client, err := New(Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey,
				MaxConcurrentRequests: 1})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				list, err := client.ListExportJobs(context.Background(), sandbox.ProjectID, "c1")
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Jobs) != 1000 {
					t.Fatalf("got %d jobs, want 1000", len(list.Jobs))
				}
			}
			requests, challenges := 0, 0
			for _, r := range sbx.Requests() {
				requests++
				if r.Status == 401 {
					challenges++
				}
			}
			if requests != tc.wantRequests || challenges != tc.wantChallenges {
				t.Errorf("the sandbox saw %d requests of which %d were answered with a challenge; want %d and %d",
					requests, challenges, tc.wantRequests, tc.wantChallenges)
			}
		})
	}
}

// TestDigest_strictNonceCountsUnderConcurrency: pages in flight answer the
// cached challenge with counts that may overtake each other. A server that
// refuses a count below one it has accepted answers those with a fresh
// challenge, which digest.Transport answers; no read may fail for it, and
// the first answer to a new challenge must never be overtaken.
func TestDigest_strictNonceCountsUnderConcurrency(t *testing.T) {
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.SetJobs(sandbox.ProjectID, "c1", sandbox.GenerateJobs("c1", 2345, 5))
	sbx.StrictNonceCounts = true
	sbx.Latency = 2 * time.Millisecond // lets answers overtake each other
	srv := httptest.NewServer(sbx)
	t.Cleanup(srv.Close)
	client, err := New(Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey,
		ItemsPerPage: 100, MaxConcurrentRequests: 8, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	for read := range 10 {
		list, err := client.ListExportJobs(context.Background(), sandbox.ProjectID, "c1")
		if err != nil {
			t.Fatalf("read %d: %v", read, err)
		}
		if len(list.Jobs) != 2345 {
			t.Fatalf("read %d: got %d jobs, want 2345", read, len(list.Jobs))
		}
	}
}
