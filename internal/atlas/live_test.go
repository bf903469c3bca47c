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
var liveEnv = []string{"MONGODB_ATLAS_PUBLIC_KEY", "MONGODB_ATLAS_PRIVATE_KEY", "MONGODB_ATLAS_PROJECT_ID", "MONGODB_ATLAS_CLUSTER_NAME"}

// TestAccLive_digestPreAnswers lists a real cluster's export jobs three times
// with a default client (read-only) and reports how many of the digest
// answers computed ahead of Atlas's challenge Atlas accepted and refused:
// whether Atlas accepts a reused nonce at all is what it settles.
func TestAccLive_digestPreAnswers(t *testing.T) {
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
		PublicKey:  os.Getenv("MONGODB_ATLAS_PUBLIC_KEY"),
		PrivateKey: os.Getenv("MONGODB_ATLAS_PRIVATE_KEY"),
		MaxRetries: DefaultMaxRetries,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The first read learns a nonce; the later ones pre-answer with it.
	for read := 1; read <= 3; read++ {
		list, err := client.ListExportJobs(ctx, os.Getenv("MONGODB_ATLAS_PROJECT_ID"), os.Getenv("MONGODB_ATLAS_CLUSTER_NAME"))
		if err != nil {
			t.Fatalf("read %d: %v", read, err)
		}
		accepted, refused := client.DigestStats()
		t.Logf("read %d: %d jobs on %d pages; digest pre-answers so far: Atlas accepted %d, refused %d",
			read, len(list.Jobs), list.Pages, accepted, refused)
	}
}
