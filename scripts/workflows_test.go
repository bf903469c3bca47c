// Package scripts holds the repository's shell scripts; its tests check that
// the GitHub workflows (.github/workflows) and .ci/run stay one CI: the same
// make targets, every one of them defined in GNUmakefile, and the versions
// GNUmakefile pins.
package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const root = ".."

// workflow is the part of a GitHub workflow file these tests read.
type workflow struct {
	Jobs map[string]struct {
		Strategy struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflow in .github/workflows (%v)", err)
	}
	out := map[string]workflow{}
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // a file of this repository
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = w
	}
	return out
}

var (
	// A make command in a shell line: the words after it up to the end of
	// the command.
	makeCommand = regexp.MustCompile(`(?m)(?:^|[;&|(]\s*|\bstep\s+)make((?:[ \t]+[^\s;&|)]+)*)`)
	matrixRef   = regexp.MustCompile(`\$\{\{\s*matrix\.(\w+)\s*\}\}`)
)

// makeTargets returns the targets of the make commands in a shell script:
// the words that are neither options nor VAR=value assignments.
func makeTargets(script string) []string {
	var targets []string
	for _, m := range makeCommand.FindAllStringSubmatch(script, -1) {
		for _, w := range strings.Fields(m[1]) {
			if strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
				continue
			}
			targets = append(targets, w)
		}
	}
	return targets
}

// workflowTargets returns each make target the workflows run, with where it
// is run, a matrix value (${{ matrix.x }}) expanded to each of its values.
func workflowTargets(t *testing.T, workflows map[string]workflow) map[string][]string {
	t.Helper()
	where := map[string][]string{}
	for file, w := range workflows {
		for name, job := range w.Jobs {
			for _, step := range job.Steps {
				runs := []string{step.Run}
				if matrixRef.MatchString(step.Run) {
					runs = nil
					for _, values := range job.Strategy.Matrix.Include {
						runs = append(runs, matrixRef.ReplaceAllStringFunc(step.Run, func(ref string) string {
							return values[matrixRef.FindStringSubmatch(ref)[1]]
						}))
					}
				}
				for _, run := range runs {
					for _, target := range makeTargets(run) {
						where[target] = append(where[target], file+", job "+name)
					}
				}
			}
		}
	}
	return where
}

// undefinedTargets asks make (-n: nothing runs) for each target, in the
// directory dir, and returns an error for each that it has no rule for.
func undefinedTargets(dir string, targets []string) []error {
	var errs []error
	for _, target := range targets {
		cmd := exec.Command("make", "-n", "--no-print-directory", target) //nolint:gosec // the targets come from this repository's files
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = nil, &stderr
		if err := cmd.Run(); err != nil {
			errs = append(errs, fmt.Errorf("make -n %s: %w: %s", target, err, strings.TrimSpace(stderr.String())))
		}
	}
	return errs
}

func requireMake(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIPPING: make is not on PATH, and these tests ask it which targets exist")
	}
}

// Every make target a workflow runs exists in GNUmakefile.
func TestWorkflows_makeTargetsExist(t *testing.T) {
	requireMake(t)
	where := workflowTargets(t, readWorkflows(t))
	if len(where) == 0 {
		t.Fatal("the workflows run no make target")
	}
	targets := make([]string, 0, len(where))
	for target := range where {
		targets = append(targets, target)
	}
	sort.Strings(targets)
	for _, err := range undefinedTargets(root, targets) {
		t.Errorf("a workflow runs a make target that GNUmakefile does not define: %v", err)
	}
	t.Logf("the workflows run make %s", strings.Join(targets, ", "))
}

// The check above fails for a target that does not exist, and only for it.
func TestWorkflows_undefinedTargetIsReported(t *testing.T) {
	requireMake(t)
	errs := undefinedTargets(root, makeTargets("make lint\nmake test-cli CLI=x && make no-such-target"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "no-such-target") {
		t.Fatalf("want one error, for no-such-target; got %v", errors.Join(errs...))
	}
}

// pins returns the NAME := VALUE lines of GNUmakefile.
func pins(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+) := (\S+)$`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// The workflows run every step of .ci/run, and make test-compat as a matrix
// of the versions GNUmakefile pins, each CLI installed at exactly its pin.
func TestWorkflows_runWhatCIRuns(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	workflows := readWorkflows(t)
	where := workflowTargets(t, workflows)
	ciTargets := makeTargets(string(ci))
	if len(ciTargets) == 0 {
		t.Fatal(".ci/run runs no make target")
	}
	for _, target := range ciTargets {
		if target == "test-compat" {
			continue // a matrix in the workflows: checked below
		}
		if len(where[target]) == 0 {
			t.Errorf(".ci/run runs make %s, which no workflow runs", target)
		}
	}
	var runs []string
	for _, w := range workflows {
		for _, job := range w.Jobs {
			for _, step := range job.Steps {
				runs = append(runs, step.Run)
			}
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^step (bash scripts/\S+)`).FindAllStringSubmatch(string(ci), -1) {
		if !slices.ContainsFunc(runs, func(run string) bool { return strings.Contains(run, m[1]) }) {
			t.Errorf(".ci/run runs %s, which no workflow runs", m[1])
		}
	}

	// Each CLI the workflows install, by the job that installs it: make test
	// runs with CI_TERRAFORM, make test-cli with the matrix's.
	installed := map[string][]string{} // "terraform 1.5.7" -> the make targets run with it
	for _, w := range workflows {
		for _, job := range w.Jobs {
			for _, step := range job.Steps {
				var cli, version string
				switch {
				case strings.HasPrefix(step.Uses, "hashicorp/setup-terraform@"):
					cli, version = "terraform", step.With["terraform_version"]
				case strings.HasPrefix(step.Uses, "opentofu/setup-opentofu@"):
					cli, version = "tofu", step.With["tofu_version"]
				default:
					continue
				}
				if step.With[cli+"_wrapper"] != "false" {
					t.Errorf("%s %s: the setup action's %s_wrapper must be false (the tests read the CLI's own output)", cli, version, cli)
				}
				versions := []string{version}
				if m := matrixRef.FindStringSubmatch(version); m != nil {
					versions = nil
					for _, values := range job.Strategy.Matrix.Include {
						if values["cli"] == cli {
							versions = append(versions, values[m[1]])
						}
					}
				}
				var targets []string
				for _, s := range job.Steps {
					targets = append(targets, makeTargets(s.Run)...)
				}
				for _, v := range versions {
					installed[cli+" "+v] = append(installed[cli+" "+v], targets...)
				}
			}
		}
	}
	p := pins(t)
	want := map[string]string{
		"terraform " + p["CI_TERRAFORM"]:     "test",
		"terraform " + p["TERRAFORM_NEWEST"]: "test-cli",
		"terraform " + p["TERRAFORM_OLDEST"]: "test-cli",
		"tofu " + p["OPENTOFU_NEWEST"]:       "test-cli",
	}
	for cli, target := range want {
		if !slices.Contains(installed[cli], target) {
			t.Errorf("no workflow runs make %s with %s (GNUmakefile's pin); they install %v", target, cli, installed)
		}
	}
	if len(installed) != len(want) {
		t.Errorf("the workflows install %d CLIs (%v), GNUmakefile pins %d (%v)", len(installed), installed, len(want), want)
	}
}

// The release workflow runs the goreleaser that make release-check runs.
func TestWorkflows_releaseUsesPinnedGoreleaser(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(root, "tools", "release", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/goreleaser/goreleaser/v2 (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("tools/release/go.mod does not require github.com/goreleaser/goreleaser/v2")
	}
	var versions []string
	for _, job := range readWorkflows(t)["release.yml"].Jobs {
		for _, step := range job.Steps {
			if strings.HasPrefix(step.Uses, "goreleaser/goreleaser-action@") {
				versions = append(versions, step.With["version"])
			}
		}
	}
	if len(versions) != 1 || versions[0] != string(m[1]) {
		t.Errorf("release.yml runs goreleaser %v, tools/release/go.mod pins %s", versions, m[1])
	}
}
