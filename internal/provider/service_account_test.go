package provider

import (
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// A token endpoint that does not answer is bounded by the read's time limit,
// like any other request: the read fails with the read timeout's advice
// instead of waiting out the request timeout of every attempt.
func TestProvider_serviceAccountTokenEndpointHangs(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Hang: 10 * time.Minute})
	expectError(t, serviceAccountBlock(url)+exportsBlock(sandbox.ClusterSharded, `timeouts { read = "5s" }`),
		errorText("Unable to list snapshot export jobs", "The read did not finish within its time limit (5s)", "timeouts { read"))
}
