package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share besides the export job
// (export_job.go): the path attributes, the read timeout, the provider data
// and the diagnostics of a failed read.

// readContext bounds a read by its timeouts block's read value (the
// default when unset) and masks the provider's secrets in everything logged
// under it.
func (d *providerData) readContext(ctx context.Context, t timeouts.Value) (context.Context, context.CancelFunc, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d == nil {
		diags.AddError("Provider not configured",
			"The data source was read before the provider was configured. This is a bug in the provider; please report it.")
		return ctx, func() {}, diags
	}
	timeout, diags := t.Read(ctx, defaultReadTimeout)
	if diags.HasError() {
		return ctx, func() {}, diags
	}
	if timeout <= 0 { // validateReadTimeout refuses it at plan time
		diags.AddAttributeError(path.Root("timeouts").AtName("read"), "Invalid read timeout",
			fmt.Sprintf("%v is not a positive duration such as \"30s\" or \"5m\".", timeout))
		return ctx, func() {}, diags
	}
	ctx, cancel := context.WithTimeout(d.maskSecrets(ctx), timeout)
	return context.WithValue(ctx, readTimeoutKey{}, timeout), cancel, diags
}

type readTimeoutKey struct{}

// addReadError turns a client error into a diagnostic: what failed, what
// Atlas said, and what to do about it.
// A "not found" error ties to the argument Atlas could not find.
func (d *providerData) addReadError(ctx context.Context, diags *diag.Diagnostics, summary string, err error) {
	detail := d.readErrorDetail(ctx, err)
	if attribute, ok := notFoundAttribute[atlas.ErrorCode(err)]; ok {
		diags.AddAttributeError(path.Root(attribute), summary, detail)
		return
	}
	diags.AddError(summary, detail)
}

// readErrorDetail says what Atlas said about a failed read and what to do
// about it.
func (d *providerData) readErrorDetail(ctx context.Context, err error) string {
	var detail strings.Builder
	// Atlas's detail usually ends a sentence already.
	detail.WriteString(strings.TrimSuffix(err.Error(), ".") + ".")
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		fmt.Fprintf(&detail, "\n\nThe read did not finish within its time limit (%v). Raise it with a "+
			"`timeouts { read = \"...\" }` block, or check the network path to Atlas.", ctx.Value(readTimeoutKey{}))
	case errors.Is(err, context.Canceled):
		detail.WriteString("\n\nThe read was cancelled.")
	case errors.Is(err, atlas.ErrInconsistentList):
		detail.WriteString("\n\nExport jobs were being created or deleted while the list was read. Run the " +
			"command again.")
	case errors.Is(err, atlas.ErrPageNumIgnored):
		detail.WriteString("\n\nCheck base_url and any proxy between Terraform and Atlas (HTTPS_PROXY): Atlas " +
			"itself pages by pageNum. A cache that keys answers on the path alone must be bypassed or told to " +
			"keep the query string.")
	case errors.Is(err, atlas.ErrShortPages):
		detail.WriteString("\n\nCheck base_url and any proxy between Terraform and Atlas (HTTPS_PROXY): Atlas " +
			"pages as asked, and something in between answers fewer jobs than its own count. The provider does not " +
			"return part of a list as if it were whole.")
	case errors.Is(err, atlas.ErrListTooLong):
		detail.WriteString("\n\nCheck that base_url points at Atlas, or at a server that pages as Atlas does: " +
			"a cluster with this many export jobs is not what Atlas keeps.")
	default:
		if hint := atlas.Hint(err); hint != "" {
			detail.WriteString("\n\n" + hint)
		}
		// Which variable won is easy to lose track of (two spellings of each
		// key variable, attributes over the environment): say it.
		if atlas.StatusCode(err) == http.StatusUnauthorized && d.credentialSource != "" {
			detail.WriteString(" In use: " + d.credentialSource + ".")
		}
	}
	return detail.String()
}

// notFoundAttribute is the argument each of Atlas's "not found" errorCodes
// points at. Only the single-job data source reads a job, so only it meets
// EXPORT_JOB_NOT_FOUND and has an export_id.
var notFoundAttribute = map[string]string{
	"GROUP_NOT_FOUND":      "project_id",
	"CLUSTER_NOT_FOUND":    "cluster_name",
	"EXPORT_JOB_NOT_FOUND": "export_id",
}

// addBugError reports a failure only a bug in the provider can cause, such
// as a configuration that does not match the schema.
func addBugError(diags *diag.Diagnostics, summary string, err error) {
	diags.AddError(summary, err.Error()+"\n\nThis is a bug in the provider; please report it.")
}

// resolveBuckets is resolve_export_buckets: true when unset.
func resolveBuckets(v types.Bool) bool {
	return v.IsNull() || v.ValueBool()
}

// setStateValue sets one attribute of a state, which State.Set has
// written, to a value built as tftypes (export_job.go). tftypes.Value.As
// hands out the state's own map: the copy keeps the value State.Set built
// unchanged.
func setStateValue(state *tfsdk.State, name string, value tftypes.Value) error {
	var attrs map[string]tftypes.Value
	if err := state.Raw.As(&attrs); err != nil {
		return fmt.Errorf("reading the state: %w", err)
	}
	attrs = maps.Clone(attrs)
	if _, ok := attrs[name]; !ok {
		return fmt.Errorf("the state has no attribute %s", name)
	}
	attrs[name] = value
	state.Raw = tftypes.NewValue(state.Raw.Type(), attrs)
	return nil
}

// configureData takes the provider's data in a data source's Configure.
func configureData(req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) *providerData {
	if req.ProviderData == nil {
		return nil // the provider is not configured yet (validation)
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", req.ProviderData))
		return nil
	}
	return data
}

// validateReadTimeout rejects, at plan time, a timeouts block whose read
// value is not a positive duration: the timeouts package checks only that it
// parses, and "0s" would fail every read.
func validateReadTimeout(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	readPath := path.Root("timeouts").AtName("read")
	var read types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, readPath, &read)...)
	if resp.Diagnostics.HasError() || read.IsNull() || read.IsUnknown() {
		return
	}
	if d, err := time.ParseDuration(read.ValueString()); err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(readPath, "Invalid read timeout",
			fmt.Sprintf("%q is not a positive duration. Use a number with a unit, such as \"90s\" or \"5m\".", read.ValueString()))
	}
}

func projectIDAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Required: true,
		MarkdownDescription: "Unique 24-hexadecimal character string that identifies the Atlas project (group) " +
			"of the cluster, such as `32b6e34b3d91647abb20e7b8`.",
		Validators: []validator.String{
			stringvalidator.RegexMatches(atlas.ProjectIDPattern,
				"must be 24 lowercase hexadecimal characters, such as 32b6e34b3d91647abb20e7b8 (the Project ID in the Atlas UI's project settings)"),
		},
	}
}

func clusterNameAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Required:            true,
		MarkdownDescription: "Name of the Atlas cluster whose export jobs to read.",
		Validators: []validator.String{
			stringvalidator.LengthBetween(1, atlas.MaxClusterNameLength),
			stringvalidator.RegexMatches(atlas.ClusterNamePattern,
				"must contain only letters, digits and hyphens, and start with a letter or digit"),
		},
	}
}
