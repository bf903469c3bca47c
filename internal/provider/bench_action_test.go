package provider

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestBenchActionWait measures the action's wait at its real pace (issue
// 20, make bench): terraform apply -invoke against the sandbox, whose export
// jobs run on the wall clock, Queued then InProgress, for a few seconds to
// a minute and a half. For each length it prints the requests per minute of
// waiting (every authenticated request from the POST to the action's end
// message) and the delay between the job's end in the sandbox and the
// action's end message on terraform's output. It takes about 3 minutes,
// so it runs only when ATLASEXPORTS_BENCH_ACTION is set (scripts/bench.sh),
// with a terraform that has actions (TF_ACC_TERRAFORM_PATH).
func TestBenchActionWait(t *testing.T) {
	if os.Getenv("ATLASEXPORTS_BENCH_ACTION") == "" {
		t.Skip("skipped: a measurement of about 3 minutes; set ATLASEXPORTS_BENCH_ACTION=1 (scripts/bench.sh does)")
	}
	cli := actionCLI(t)
	// The provider as released: the wait's own pace, not the tests' (no
	// -ldflags).
	providerDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(providerDir, "terraform-provider-atlasexports"), ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	cli.cliConfig = devOverrides(t, providerDir)

	for _, length := range []struct{ queued, inProgress time.Duration }{
		{2 * time.Second, 6 * time.Second},
		{5 * time.Second, 25 * time.Second},
		{10 * time.Second, 80 * time.Second},
	} {
		var mu sync.Mutex
		var posted time.Time
		requests := 0
		_, url := startSandbox(t, func(s *sandbox.Server) {
			s.SetExportLifecycle(sandbox.ExportLifecycle{Queued: length.queued, InProgress: length.inProgress})
			s.OnArrival = func(r sandbox.Request) {
				mu.Lock()
				defer mu.Unlock()
				if r.Method == http.MethodPost && r.Auth != "none" && strings.HasSuffix(r.Path, "/backup/exports") {
					posted = time.Now()
				}
				if !posted.IsZero() && r.Auth != "none" {
					requests++
				}
			}
		})
		if err := os.WriteFile(filepath.Join(cli.dir, "main.tf"), []byte(requiredProviders+providerBlock(url)+
			exportAction(sandbox.ClusterReplicaSet, attr("export_bucket_id", sandbox.BucketAWS))), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := cli.command("apply", "-auto-approve", "-no-color", invokeThis)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var ended time.Time
		var output strings.Builder
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			output.WriteString(scanner.Text() + "\n")
			if ended.IsZero() && strings.Contains(scanner.Text(), "finished Successful") {
				ended = time.Now()
			}
		}
		if err := cmd.Wait(); err != nil || ended.IsZero() {
			t.Fatalf("terraform apply -invoke: %v\n%s", err, output.String())
		}
		mu.Lock()
		jobEnd := posted.Add(length.queued + length.inProgress)
		waited := ended.Sub(posted)
		fmt.Printf("action-wait export_s=%.0f requests=%d waited_s=%.1f requests_per_minute=%.1f end_delay_ms=%d\n",
			(length.queued + length.inProgress).Seconds(), requests, waited.Seconds(),
			float64(requests)/waited.Minutes(), ended.Sub(jobEnd).Milliseconds())
		mu.Unlock()
	}
}
