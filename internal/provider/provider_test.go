package provider

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// testProviderFactories serve the provider in-process to the real terraform
// CLI that terraform-plugin-testing drives.
var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"atlasexports": providerserver.NewProtocol6WithError(New("test")()),
}

// TestMain refuses to let terraform-plugin-testing download a terraform
// binary: tests never reach the internet, so a missing terraform is an error
// that says what to install.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		path, err := exec.LookPath("terraform")
		if err != nil {
			fmt.Fprintln(os.Stderr, "acceptance tests need the terraform CLI (1.11 or newer) on PATH, or "+
				"TF_ACC_TERRAFORM_PATH set to it; it was not found, and the tests do not download it.")
			os.Exit(1)
		}
		os.Setenv("TF_ACC_TERRAFORM_PATH", path) //nolint:usetesting // TestMain has no *testing.T
	}
	os.Exit(m.Run())
}

// startSandbox serves a seeded sandbox for one test.
func startSandbox(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	sbx := sandbox.New()
	srv := httptest.NewServer(sbx)
	t.Cleanup(srv.Close)
	return sbx, srv.URL
}

// providerBlock configures the provider against a sandbox with its key
// pair; extra lines go inside the block.
func providerBlock(baseURL string, extra ...string) string {
	block := fmt.Sprintf(`
provider "atlasexports" {
  base_url    = %q
  public_key  = %q
  private_key = %q
`, baseURL, sandbox.PublicKey, sandbox.PrivateKey)
	for _, e := range extra {
		block += "  " + e + "\n"
	}
	return block + "}\n"
}

// exportsBlock is a snapshot_exports data source named "this".
func exportsBlock(cluster string, extra ...string) string {
	block := fmt.Sprintf(`
data "atlasexports_snapshot_exports" "this" {
  project_id   = %q
  cluster_name = %q
`, sandbox.ProjectID, cluster)
	for _, e := range extra {
		block += "  " + e + "\n"
	}
	return block + "}\n"
}
