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

// The guide's check block warns when the newest successful export holds data
// older than max_export_age, and stays quiet when it does not: run with
// terraform plan against the sandbox, whose reexported cluster's newest
// snapshot is of August 2026, and a cluster exported an hour ago.
func TestExamples_freshnessCheck(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	recent := time.Now().UTC().Add(-time.Hour)
	fresh := sandbox.Job{ID: "64b7e30ac1d2a3b4c5d6e0c1", ExportBucketID: sandbox.BucketAWS, State: "Successful",
		CreatedAt: recent.Add(time.Minute).Format(time.RFC3339),
		Prefix: fmt.Sprintf("exported_snapshots/%s/%s/fresh/%s/%d", sandbox.OrgID, sandbox.ProjectID,
			recent.Format("2006-01-02T1504"), recent.Add(time.Minute).Unix())}
	_, url := startSandbox(t, func(s *sandbox.Server) { s.SetJobs(sandbox.ProjectID, "fresh", []sandbox.Job{fresh}) })
	const stale = "The newest successful export of reexported holds data from 2026-08-12T03:27:00Z, older than 26h"
	for cluster, wantWarning := range map[string]bool{sandbox.ClusterReexported: true, "fresh": false} {
		c := *cli
		c.dir = t.TempDir()
		if err := os.CopyFS(c.dir, os.DirFS(filepath.Join("..", "..", "examples", "guides", "pipeline-freshness"))); err != nil {
			t.Fatal(err)
		}
		cmd := c.command("plan", "-input=false", "-no-color", "-var", "project_id="+sandbox.ProjectID, "-var", "cluster_name="+cluster)
		cmd.Env = append(cmd.Env, EnvBaseURL+"="+url, EnvPublicKey+"="+sandbox.PublicKey, EnvPrivateKey+"="+sandbox.PrivateKey,
			EnvPublicAPIKey+"=", EnvPrivateAPIKey+"=", EnvClientID+"=", EnvClientSecret+"=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: terraform plan: %v\n%s", cluster, err, out)
		}
		switch {
		case wantWarning && !errorText(stale).Match(out):
			t.Errorf("%s: the plan does not warn %q:\n%s", cluster, stale, out)
		case !wantWarning && errorText("older than 26h").Match(out):
			t.Errorf("%s: the plan warns of old data:\n%s", cluster, out)
		}
	}
}
