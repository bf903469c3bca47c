package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// terraformCLI runs the terraform CLI (or OpenTofu, through
// TF_ACC_TERRAFORM_PATH) directly on a configuration, with the provider built
// from this module through dev_overrides, for what terraform-plugin-testing
// cannot express: for_each instances and modules, which its state shim
// refuses.
type terraformCLI struct {
	binary, dir, cliConfig string
}

var (
	cliProviderOnce sync.Once
	cliProviderDir  string
	cliProviderErr  error
)

// newTerraformCLI builds the provider once per test binary and prepares a
// working directory whose CLI configuration overrides the provider under both
// registry hosts, so that terraform and OpenTofu alike use it without asking a
// registry.
func newTerraformCLI(t *testing.T) *terraformCLI {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: skipping a test that runs terraform")
	}
	cliProviderOnce.Do(func() {
		// One build for every test of the binary, so not a test's TempDir;
		// TestMain removes it.
		cliProviderDir, cliProviderErr = os.MkdirTemp("", "atlasexports-provider-") //nolint:usetesting // shared by the tests, removed by TestMain
		if cliProviderErr != nil {
			return
		}
		// Export jobs in the sandbox move on with each poll (its clock is the
		// test's): the provider under test polls every few milliseconds.
		build := exec.Command("go", "build", "-ldflags", "-X "+pollIntervalFlag+"=5ms",
			"-o", filepath.Join(cliProviderDir, "terraform-provider-atlasexports"), ".")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			cliProviderErr = &buildError{err: err, output: string(out)}
		}
	})
	if cliProviderErr != nil {
		t.Fatalf("building the provider: %v", cliProviderErr)
	}
	binary := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if binary == "" {
		binary = "terraform"
	}
	return &terraformCLI{binary: binary, dir: t.TempDir(), cliConfig: devOverrides(t, cliProviderDir)}
}

// devOverrides writes a CLI configuration that takes the provider from
// providerDir under both registry hosts, and returns its path.
func devOverrides(t *testing.T, providerDir string) string {
	t.Helper()
	cliConfig := filepath.Join(t.TempDir(), "dev.tfrc")
	overrides := "provider_installation {\n  dev_overrides {\n"
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		overrides += `    "` + host + `/atlasexports/atlasexports" = "` + filepath.ToSlash(providerDir) + "\"\n"
	}
	overrides += "  }\n  direct {}\n}\n"
	if err := os.WriteFile(cliConfig, []byte(overrides), 0o600); err != nil {
		t.Fatal(err)
	}
	return cliConfig
}

// pollIntervalFlag is the variable of the wait's pace (export_wait.go).
const pollIntervalFlag = "github.com/atlasexports/terraform-provider-atlasexports/internal/provider.testPollInterval"

// cliVersionPattern reads the first line of `terraform version` (or tofu's).
var cliVersionPattern = regexp.MustCompile(`^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)`)

var (
	cliActionsOnce sync.Once
	cliActions     bool
	cliActionsWhy  string
)

// hasActions reports whether the CLI under test knows actions (action
// blocks, -invoke, action_trigger): Terraform 1.14 or later. When it does
// not, why says which CLI it is, for the skip message.
func (c *terraformCLI) hasActions(t *testing.T) (ok bool, why string) {
	t.Helper()
	cliActionsOnce.Do(func() {
		out, err := exec.Command(c.binary, "version").Output()
		m := cliVersionPattern.FindStringSubmatch(string(out))
		switch {
		case err != nil || m == nil:
			cliActionsWhy = fmt.Sprintf("%s version did not say which CLI it is (%v): %q", c.binary, err, out)
		case m[1] == "OpenTofu":
			cliActionsWhy = "OpenTofu " + strings.Join(m[2:], ".") + " has no provider actions (Terraform 1.14 or later)"
		default:
			major, _ := strconv.Atoi(m[2])
			minor, _ := strconv.Atoi(m[3])
			cliActions = major > 1 || (major == 1 && minor >= 14)
			cliActionsWhy = "Terraform " + strings.Join(m[2:], ".") + " has no provider actions (they need 1.14 or later)"
		}
	})
	return cliActions, cliActionsWhy
}

// actionCLI is newTerraformCLI for a test that needs actions: it skips the
// test, saying why, under a CLI that has none.
func actionCLI(t *testing.T) *terraformCLI {
	t.Helper()
	cli := newTerraformCLI(t)
	if ok, why := cli.hasActions(t); !ok {
		t.Skipf("skipped: %s", why)
	}
	return cli
}

// actionBlock matches a configuration that declares an action or triggers
// one: only a CLI with actions can validate it.
var actionBlock = regexp.MustCompile(`(?m)^\s*(action\s+"|action_trigger\s*\{)`)

// removeCLIProvider removes the provider build newTerraformCLI made, if any.
func removeCLIProvider() {
	if cliProviderDir != "" {
		_ = os.RemoveAll(cliProviderDir)
	}
}

type buildError struct {
	err    error
	output string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.output }

// requiredProviders names this provider's source; without it Terraform
// looks for hashicorp/atlasexports.
const requiredProviders = `terraform {
  required_providers {
    atlasexports = { source = "atlasexports/atlasexports" }
  }
}
`

// run writes config, with requiredProviders, as main.tf and runs the CLI
// with args, failing the test with the CLI's output when it fails.
func (c *terraformCLI) run(t *testing.T, config string, args ...string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(requiredProviders+config), 0o600); err != nil {
		t.Fatal(err)
	}
	return c.exec(t, args...)
}

// fail is run for a configuration that must fail: it returns the CLI's
// output, and fails the test if the CLI succeeds.
func (c *terraformCLI) fail(t *testing.T, config string, args ...string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(requiredProviders+config), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.command(args...).CombinedOutput()
	if err == nil {
		t.Fatalf("%s %s succeeded; it must fail:\n%s", filepath.Base(c.binary), strings.Join(args, " "), out)
	}
	return string(out)
}

func (c *terraformCLI) exec(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.command(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(c.binary), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// command is the CLI run with args in the working directory.
func (c *terraformCLI) command(args ...string) *exec.Cmd {
	cmd := exec.Command(c.binary, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+c.cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	return cmd
}

// outputJSON decodes the value of a root module output.
func (c *terraformCLI) outputJSON(t *testing.T, name string, target any) {
	t.Helper()
	out := c.exec(t, "output", "-json", name)
	if err := json.Unmarshal([]byte(out), target); err != nil {
		t.Fatalf("output %s is not the JSON expected: %v\n%s", name, err, out)
	}
}
