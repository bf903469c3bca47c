package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// NewProtocol6Server returns the provider's protocol 6 server: the
// framework's server for every call but one. ReadDataSource of
// atlasexports_snapshot_exports is answered directly, with the same
// readSnapshotExports the framework's Read calls.
//
// Why: after Read returns, the framework converts the whole state to attr
// values for semantic equality, compares it, and looks up the schema of every
// null value while encoding it. For 10,000 jobs that is about 0.8 s of a
// 1.1 s call, more than the rest of the read together (BENCHMARKS.md, "the
// end-to-end plan"). None of it applies to this data source: it has no
// custom types, no prior state and no blocks but timeouts. Validation,
// configuration and every other call stay with the framework, and the direct
// path hands back to it whenever it would not know what to do.
func NewProtocol6Server(version string) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := &atlasExportsProvider{version: version}
		stateType, err := dataSourceStateType(NewSnapshotExportsDataSource())
		if err != nil {
			return nil, err
		}
		return &server{
			ProviderServer: providerserver.NewProtocol6(p)(),
			provider:       p,
			exportsType:    stateType,
		}, nil
	}
}

type server struct {
	tfprotov6.ProviderServer
	provider    *atlasExportsProvider
	exportsType tftypes.Type
}

const snapshotExportsTypeName = "atlasexports_snapshot_exports"

func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	data := s.provider.configured()
	if req.TypeName != snapshotExportsTypeName || data == nil || req.Config == nil {
		return s.ProviderServer.ReadDataSource(ctx, req)
	}
	config, decodeErr := req.Config.Unmarshal(s.exportsType)
	if decodeErr != nil || !config.IsFullyKnown() {
		// A configuration this path cannot take goes to the framework,
		// which has the words for whatever is wrong with it.
		return s.ProviderServer.ReadDataSource(ctx, req) //nolint:nilerr // the framework reports decodeErr
	}
	tflog.Debug(ctx, "reading "+snapshotExportsTypeName+" on the direct path")
	state, diags := readSnapshotExports(ctx, data, config)
	resp := &tfprotov6.ReadDataSourceResponse{Diagnostics: protoDiagnostics(diags)}
	if diags.HasError() {
		return resp, nil
	}
	encoded, err := tfprotov6.NewDynamicValue(s.exportsType, state)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unable to encode the data source's state",
			Detail:   err.Error() + "\n\nThis is a bug in the provider; please report it.",
		})
		return resp, nil //nolint:nilerr // reported as a diagnostic, as the protocol wants
	}
	resp.State = &encoded
	return resp, nil
}

// dataSourceStateType is the Terraform type of a data source's state.
func dataSourceStateType(ds datasource.DataSource) (tftypes.Type, error) {
	ctx := context.Background()
	var resp datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		return nil, fmt.Errorf("data source schema: %v", resp.Diagnostics)
	}
	return resp.Schema.Type().TerraformType(ctx), nil
}

// protoDiagnostics converts the read's diagnostics. The read's errors are
// about the whole data source, or about an attribute at the root (the
// timeouts block's read value).
func protoDiagnostics(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		severity := tfprotov6.DiagnosticSeverityError
		if d.Severity() == diag.SeverityWarning {
			severity = tfprotov6.DiagnosticSeverityWarning
		}
		pd := &tfprotov6.Diagnostic{Severity: severity, Summary: d.Summary(), Detail: d.Detail()}
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = attributePath(withPath)
		}
		out = append(out, pd)
	}
	return out
}

// attributePath converts the attribute-name paths the read reports.
func attributePath(d diag.DiagnosticWithPath) *tftypes.AttributePath {
	p := tftypes.NewAttributePath()
	for _, step := range d.Path().Steps() {
		name, ok := step.(path.PathStepAttributeName)
		if !ok {
			return nil
		}
		p = p.WithAttributeName(string(name))
	}
	return p
}
