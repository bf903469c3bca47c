package provider

import (
	"context"
	"fmt"
	"maps"
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
