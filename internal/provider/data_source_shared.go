package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share besides the export job
// (export_job.go): the path attributes, the read timeout, the provider data
// and the diagnostics of a failed read.

// readContext bounds a read by its timeouts block's read value (a Go
// duration; "" for the default) and masks the provider's secrets in
// everything logged under it.
func (d *providerData) readContext(ctx context.Context, readTimeout string) (context.Context, context.CancelFunc, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d == nil {
		diags.AddError("Provider not configured",
			"The data source was read before the provider was configured. This is a bug in the provider; please report it.")
		return ctx, func() {}, diags
	}
	timeout := defaultReadTimeout
	if readTimeout != "" {
		parsed, err := time.ParseDuration(readTimeout)
		if err != nil || parsed <= 0 {
			diags.AddAttributeError(path.Root("timeouts").AtName("read"), "Invalid read timeout",
				fmt.Sprintf("%q is not a positive duration such as \"30s\" or \"5m\".", readTimeout))
			return ctx, func() {}, diags
		}
		timeout = parsed
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

// readArguments are the arguments both data sources read with.
type readArguments struct {
	projectID, clusterName string
	// resolveBuckets is resolve_export_buckets, true when unset.
	resolveBuckets bool
	// readTimeout is the timeouts block's read value, "" when unset.
	readTimeout string
}

// readArgumentsFrom reads the arguments both data sources share, and
// returns the configuration's attributes for the data source's own.
func readArgumentsFrom(config tftypes.Value) (readArguments, map[string]tftypes.Value, error) {
	var args readArguments
	if !config.IsFullyKnown() {
		return args, nil, errors.New("the configuration has unknown values")
	}
	attrs := map[string]tftypes.Value{}
	if err := config.As(&attrs); err != nil {
		return args, nil, err
	}
	if err := attrs["project_id"].As(&args.projectID); err != nil {
		return args, nil, fmt.Errorf("project_id: %w", err)
	}
	if err := attrs["cluster_name"].As(&args.clusterName); err != nil {
		return args, nil, fmt.Errorf("cluster_name: %w", err)
	}
	resolve, err := resolveExportBucketsArgument(attrs["resolve_export_buckets"])
	if err != nil {
		return args, nil, err
	}
	args.resolveBuckets = resolve
	if args.readTimeout, err = timeoutsRead(attrs["timeouts"]); err != nil {
		return args, nil, err
	}
	return args, attrs, nil
}

// timeoutsRead returns the read value of a timeouts block, or "".
func timeoutsRead(block tftypes.Value) (string, error) {
	if block.IsNull() {
		return "", nil
	}
	attrs := map[string]tftypes.Value{}
	if err := block.As(&attrs); err != nil {
		return "", fmt.Errorf("timeouts: %w", err)
	}
	var read *string
	if err := attrs["read"].As(&read); err != nil {
		return "", fmt.Errorf("timeouts.read: %w", err)
	}
	if read == nil {
		return "", nil
	}
	return *read, nil
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
