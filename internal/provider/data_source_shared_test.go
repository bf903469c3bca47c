package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// A 404 whose errorCode names what Atlas could not find ties the error to
// that argument, and so does a 404 of the job GET to export_id, whatever its
// code; any other error is about the whole data source.
func TestAddReadError_notFoundPointsAtTheArgument(t *testing.T) {
	t.Parallel()
	notFoundOf := func(op atlas.Operation, code string) error {
		return fmt.Errorf("listing: %w", &atlas.APIError{StatusCode: http.StatusNotFound, ErrorCode: code, Detail: "not there", Operation: op})
	}
	notFound := func(code string) error { return notFoundOf(atlas.OpListExportJobs, code) }
	for name, c := range map[string]struct {
		err      error
		wantPath path.Path // empty: no attribute
	}{
		"project":          {notFound("GROUP_NOT_FOUND"), path.Root("project_id")},
		"cluster":          {notFound("CLUSTER_NOT_FOUND"), path.Root("cluster_name")},
		"export job":       {notFoundOf(atlas.OpGetExportJob, "RESOURCE_NOT_FOUND"), path.Root("export_id")},
		"job, no envelope": {notFoundOf(atlas.OpGetExportJob, ""), path.Root("export_id")},
		"job's cluster":    {notFoundOf(atlas.OpGetExportJob, "CLUSTER_NOT_FOUND"), path.Root("cluster_name")},
		"other resource":   {notFound("RESOURCE_NOT_FOUND"), path.Empty()},
		"not an API error": {errors.New("connection refused"), path.Empty()},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			(&providerData{}).addReadError(context.Background(), &diags, "Unable to list snapshot export jobs", c.err)
			if len(diags) != 1 || diags[0].Severity() != diag.SeverityError {
				t.Fatalf("got %v, want one error", diags)
			}
			got := path.Empty()
			if withPath, ok := diags[0].(diag.DiagnosticWithPath); ok {
				got = withPath.Path()
			}
			if !got.Equal(c.wantPath) {
				t.Errorf("the error is tied to %q, want %q", got, c.wantPath)
			}
		})
	}
}
