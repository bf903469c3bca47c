package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestExamples_validate checks that every example is formatted and valid,
// with terraform using a provider binary built from this module through
// dev_overrides (newTerraformCLI), so that no registry is asked.
func TestExamples_validate(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	root := filepath.Join("..", "..")
	dataSourceDirs, err := filepath.Glob(filepath.Join(root, "examples", "data-sources", "*"))
	if err != nil {
		t.Fatal(err)
	}
	guideDirs, err := filepath.Glob(filepath.Join(root, "examples", "guides", "*"))
	if err != nil {
		t.Fatal(err)
	}
	actionDirs, err := filepath.Glob(filepath.Join(root, "examples", "actions", "*"))
	if err != nil {
		t.Fatal(err)
	}
	dataSourceDirs = append(append(dataSourceDirs, guideDirs...), actionDirs...)
	dirs := []string{
		filepath.Join(root, "examples", "provider"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_export"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_exports"),
		filepath.Join(root, "examples", "guides", "pipeline"),
		filepath.Join(root, "examples", "guides", "export-on-demand"),
		filepath.Join(root, "examples", "actions", "atlasexports_export_snapshot"),
		filepath.Join(root, "examples", "quickstart"),
		filepath.Join(root, "examples", "module-testing"),
	}
	for _, d := range dataSourceDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}

	for _, dir := range dirs {
		name, _ := filepath.Rel(filepath.Join(root, "examples"), dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Parallel()
			// Every example the docs and make demo use must exist.
			if files, _ := filepath.Glob(filepath.Join(dir, "*.tf")); len(files) == 0 {
				t.Fatalf("%s does not exist or has no .tf files", dir)
			}
			cli := *cli
			cli.dir = t.TempDir()
			if err := os.CopyFS(cli.dir, os.DirFS(dir)); err != nil {
				t.Fatalf("copying %s: %v", dir, err)
			}
			// Terraform before 1.14 and OpenTofu refuse an action block
			// ("Blocks of type "action" are not expected here").
			if ok, why := cli.hasActions(t); !ok && dirHasAction(t, dir) {
				t.Skipf("skipped: %s declares an action, and %s", name, why)
			}
			terraform := func(args ...string) {
				t.Helper()
				if out, err := cli.command(args...).CombinedOutput(); err != nil {
					t.Errorf("terraform %s in a copy of %s: %v\n%s", strings.Join(args, " "), dir, err, out)
				}
			}
			terraform("fmt", "-check", "-diff", "-no-color", "-recursive")
			terraform("validate", "-no-color")
		})
	}
}

// dirHasAction reports whether a .tf file of dir declares or triggers an
// action.
func dirHasAction(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if actionBlock.Match(content) {
			return true
		}
	}
	return false
}

// The guide's check block warns, naming each late cluster, when the newest
// successful export of a cluster holds data older than max_export_age (or
// there is none), and stays quiet when every cluster is fresh: run with
// terraform plan against the sandbox, whose reexported cluster's newest
// snapshot is of August 2026, its empty cluster, and a cluster exported an
// hour ago.
func TestExamples_freshnessCheck(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	url := startFreshnessSandbox(t)
	for name, tc := range map[string]struct {
		clusters string
		stale    string // the clusters the warning names, or "" for no warning
	}{
		"stale and fresh": {clusters: `["reexported", "fresh", "empty"]`, stale: "empty, reexported."},
		"all fresh":       {clusters: `["fresh"]`},
	} {
		out, err := planFreshnessExample(t, cli, url, "cluster_names = "+tc.clusters)
		if err != nil {
			t.Fatalf("%s: terraform plan: %v\n%s", name, err, out)
		}
		switch {
		case tc.stale != "" && !errorText("No successful export newer than 26h for: "+tc.stale).Match(out):
			t.Errorf("%s: the plan does not warn that %s are late:\n%s", name, tc.stale, out)
		case tc.stale == "" && errorText("No successful export newer than").Match(out):
			t.Errorf("%s: the plan warns of old data:\n%s", name, out)
		}
	}
}

// An age in days ("8d"), which timeadd() does not know, fails the plan with
// the variable's own message, rather than turn every check into a warning.
func TestExamples_freshnessCheck_ageInDaysFailsThePlan(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	url := startFreshnessSandbox(t)
	out, err := planFreshnessExample(t, cli, url, `cluster_names = ["fresh"]`, `max_export_age = "8d"`)
	if err == nil {
		t.Fatalf("terraform plan succeeded with max_export_age = \"8d\":\n%s", out)
	}
	if want := `max_export_age must be a duration in h, m or s, such as "26h" or "192h" for 8 days (there is no d).`; !errorText(want).Match(out) {
		t.Errorf("the plan does not fail with %q:\n%s", want, out)
	}
}

// With fail_when_stale, the example's output precondition fails the plan,
// naming the late clusters, and lets a plan of fresh clusters through.
func TestExamples_freshnessCheck_failWhenStale(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	url := startFreshnessSandbox(t)
	out, err := planFreshnessExample(t, cli, url, `cluster_names = ["reexported", "fresh"]`, "fail_when_stale = true")
	if err == nil {
		t.Fatalf("terraform plan succeeded with fail_when_stale and a stale cluster:\n%s", out)
	}
	if want := errorText("Error: Module output value precondition failed", "No successful export newer than 26h for: reexported."); !want.Match(out) {
		t.Errorf("the plan does not fail with %s:\n%s", want, out)
	}
	if out, err := planFreshnessExample(t, cli, url, `cluster_names = ["fresh"]`, "fail_when_stale = true"); err != nil {
		t.Errorf("terraform plan of a fresh cluster with fail_when_stale: %v\n%s", err, out)
	}
}

// startFreshnessSandbox starts the sandbox with a cluster "fresh" whose only
// export holds a snapshot taken an hour ago, and returns its URL.
func startFreshnessSandbox(t *testing.T) string {
	t.Helper()
	recent := time.Now().UTC().Add(-time.Hour)
	fresh := sandbox.Job{ID: "64b7e30ac1d2a3b4c5d6e0c1", ExportBucketID: sandbox.BucketAWS, State: "Successful",
		CreatedAt: recent.Add(time.Minute).Format(time.RFC3339),
		Prefix: fmt.Sprintf("exported_snapshots/%s/%s/fresh/%s/%d", sandbox.OrgID, sandbox.ProjectID,
			recent.Format("2006-01-02T1504"), recent.Add(time.Minute).Unix())}
	_, url := startSandbox(t, func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, "fresh", []sandbox.Job{fresh}) })
	return url
}

// planFreshnessExample runs terraform plan on a copy of the guide's
// freshness example, with the sandbox's project and these variable lines in
// a terraform.tfvars file.
func planFreshnessExample(t *testing.T, cli *terraformCLI, url string, vars ...string) ([]byte, error) {
	t.Helper()
	c := *cli
	c.dir = t.TempDir()
	if err := os.CopyFS(c.dir, os.DirFS(filepath.Join("..", "..", "examples", "guides", "pipeline-freshness"))); err != nil {
		t.Fatal(err)
	}
	tfvars := strings.Join(append([]string{fmt.Sprintf("project_id = %q", sandbox.ProjectID)}, vars...), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(c.dir, "terraform.tfvars"), []byte(tfvars), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := c.command("plan", "-input=false", "-no-color")
	cmd.Env = append(cmd.Env, EnvBaseURL+"="+url, EnvPublicKey+"="+sandbox.PublicKey, EnvPrivateKey+"="+sandbox.PrivateKey,
		EnvPublicAPIKey+"=", EnvPrivateAPIKey+"=", EnvClientID+"=", EnvClientSecret+"=")
	return cmd.CombinedOutput()
}
