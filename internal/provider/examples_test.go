package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExamples_validate checks that every example is formatted and valid,
// with terraform using a provider binary built from this module through
// dev_overrides, so that no registry is asked.
func TestExamples_validate(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: skipping the examples test, which runs terraform")
	}
	t.Parallel()
	terraformPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraformPath == "" {
		terraformPath = "terraform"
	}
	root := filepath.Join("..", "..")
	dataSourceDirs, err := filepath.Glob(filepath.Join(root, "examples", "data-sources", "*"))
	if err != nil {
		t.Fatal(err)
	}
	guideDirs, err := filepath.Glob(filepath.Join(root, "examples", "guides", "*"))
	if err != nil {
		t.Fatal(err)
	}
	dataSourceDirs = append(dataSourceDirs, guideDirs...)
	quickstart := filepath.Join(root, "examples", "quickstart")
	dirs := []string{
		filepath.Join(root, "examples", "provider"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_export"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_exports"),
		filepath.Join(root, "examples", "guides", "pipeline"),
		quickstart,
		filepath.Join(root, "examples", "module-testing"),
	}
	for _, d := range dataSourceDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}

	pluginDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-atlasexports"), ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	// terraform resolves the examples' source "atlasexports/atlasexports" on
	// registry.terraform.io, OpenTofu on registry.opentofu.org; the overrides
	// name both, so that the test runs with either as TF_ACC_TERRAFORM_PATH.
	cliConfig := filepath.Join(t.TempDir(), "dev.tfrc")
	overrides := `provider_installation {
  dev_overrides {
    "registry.terraform.io/atlasexports/atlasexports" = "` + filepath.ToSlash(pluginDir) + `"
    "registry.opentofu.org/atlasexports/atlasexports" = "` + filepath.ToSlash(pluginDir) + `"
  }
  direct {}
}
`
	if err := os.WriteFile(cliConfig, []byte(overrides), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, dir := range dirs {
		name, _ := filepath.Rel(filepath.Join(root, "examples"), dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Parallel()
			// Every example the docs and make demo use must exist.
			if files, _ := filepath.Glob(filepath.Join(dir, "*.tf")); len(files) == 0 {
				t.Fatalf("%s does not exist or has no .tf files", dir)
			}
			work := t.TempDir()
			if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
				t.Fatalf("copying %s: %v", dir, err)
			}
			terraform := func(args ...string) {
				t.Helper()
				cmd := exec.Command(terraformPath, args...)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("terraform %s in a copy of %s: %v\n%s", strings.Join(args, " "), dir, err, out)
				}
			}
			terraform("fmt", "-check", "-diff", "-no-color", "-recursive")
			terraform("validate", "-no-color")
		})
	}
}
