package provider

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
	dataSourceDirs = append(dataSourceDirs, guideDirs...)
	dirs := []string{
		filepath.Join(root, "examples", "provider"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_export"),
		filepath.Join(root, "examples", "data-sources", "atlasexports_snapshot_exports"),
		filepath.Join(root, "examples", "guides", "pipeline"),
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
