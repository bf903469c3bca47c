package provider

import (
	"context"
	"fmt"
	"maps"

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

// readContext bounds a read by its timeouts attribute's read value (the
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
	if timeout <= 0 { // positiveReadTimeout refuses it at plan time
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

// timeoutsAttribute is a data source's timeouts = { read = "..." }, a nested
// attribute as HashiCorp recommends for a framework provider (a block only
// for a provider that had one under the SDK). positiveReadTimeout, a
// ConfigValidator of each data source, holds read to a positive duration.
func timeoutsAttribute(ctx context.Context, readDescription string) schema.Attribute {
	attribute := timeouts.AttributesWithOpts(ctx, timeouts.Opts{ReadDescription: readDescription})
	// The package describes read only; the object's description is the docs'
	// line for timeouts and the language server's hover text.
	if nested, ok := attribute.(schema.SingleNestedAttribute); ok {
		nested.MarkdownDescription = "Time limits of this data source, such as `timeouts = { read = \"5m\" }`."
		return nested
	}
	return attribute
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
