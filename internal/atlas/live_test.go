package atlas

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// liveOptIn is set by make testacc, the one target that reaches Atlas: Atlas
// users often have the credential variables set, and make test must not
// reach Atlas because of them.
const liveOptIn = "ATLASEXPORTS_LIVE_TESTS"

// liveEnv names the variables the live Atlas test needs.
var liveEnv = []string{"MONGODB_ATLAS_PUBLIC_API_KEY", "MONGODB_ATLAS_PRIVATE_API_KEY", "MONGODB_ATLAS_PROJECT_ID", "MONGODB_ATLAS_CLUSTER_NAME"}

// TestAccLive_listExportJobs lists a real cluster's export jobs twice with
// one default client (read-only), each page answering its own digest
// challenge.
func TestAccLive_listExportJobs(t *testing.T) {
	if os.Getenv(liveOptIn) == "" {
		t.Skipf("%s is not set: skipping the live Atlas test (run make testacc to run it)", liveOptIn)
	}
	var missing []string
	for _, name := range liveEnv {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Skipf("%s not set: skipping the live Atlas test (it needs %s)", strings.Join(missing, ", "), strings.Join(liveEnv, ", "))
	}
	client, err := New(Config{
		PublicKey:  os.Getenv("MONGODB_ATLAS_PUBLIC_API_KEY"),
		PrivateKey: os.Getenv("MONGODB_ATLAS_PRIVATE_API_KEY"),
		MaxRetries: DefaultMaxRetries,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for read := 1; read <= 2; read++ {
		list, err := client.ListExportJobs(ctx, os.Getenv("MONGODB_ATLAS_PROJECT_ID"), os.Getenv("MONGODB_ATLAS_CLUSTER_NAME"))
		if err != nil {
			t.Fatalf("read %d: %v", read, err)
		}
		t.Logf("read %d: %d jobs on %d pages", read, len(list.Jobs), list.Pages)
	}
}
