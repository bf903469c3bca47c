package provider

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The client logs from the goroutines that read pages in parallel, all under
// one masked context. tflog's masking rewrites that context's field map in
// place, so lines logged under the context as it is crash the provider with
// "concurrent map iteration and map write" (under -race, a data race at
// once); tflogLogger logs each line under a copy (ownLoggerOptions).
func TestLogging_concurrentLinesUnderOneContextDoNotRace(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	ctx := tflog.SetField(tflogtest.RootLogger(context.Background(), &out), "tf_rpc", "ReadDataSource")
	ctx = (&providerData{secrets: []string{sandbox.PrivateKey}}).maskSecrets(ctx)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5000 {
				tflogLogger{}.Debug(ctx, "sending Atlas request", map[string]any{"page": g, "attempt": i, "key": sandbox.PrivateKey})
			}
		})
	}
	// The data source's own lines, written while the client's goroutines
	// (pages, export buckets) still log under the same context.
	wg.Go(func() {
		for i := range 5000 {
			logDebug(ctx, "listed export jobs", map[string]any{"jobs": i, "key": sandbox.PrivateKey})
			logTrace(ctx, "built results", map[string]any{"results": i})
		}
	})
	wg.Wait()
	if strings.Contains(out.String(), sandbox.PrivateKey) {
		t.Error("a log line shows the private key")
	}
}
