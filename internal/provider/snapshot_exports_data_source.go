package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

var (
	_ datasource.DataSource              = (*snapshotExportsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*snapshotExportsDataSource)(nil)
)

// NewSnapshotExportsDataSource is the atlasexports_snapshot_exports data source.
func NewSnapshotExportsDataSource() datasource.DataSource {
	return &snapshotExportsDataSource{}
}

type snapshotExportsDataSource struct {
	data *providerData
}

// snapshotExportsConfig is the data source's configuration. The computed
// attributes are built as tftypes values (see export_job.go), so they are
// read here only to satisfy the framework's struct mapping.
type snapshotExportsConfig struct {
	ProjectID   types.String   `tfsdk:"project_id"`
	ClusterName types.String   `tfsdk:"cluster_name"`
	States      types.Set      `tfsdk:"states"`
	TotalCount  types.Int64    `tfsdk:"total_count"`
	Results     types.List     `tfsdk:"results"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

func (d *snapshotExportsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_snapshot_exports"
}

func (d *snapshotExportsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every Cloud Backup snapshot export job of one Atlas cluster, across all pages, " +
			"newest first: `results[0]` is the latest export. Each job carries its S3 `prefix`, its per-shard " +
			"`components` and, for failed jobs, the `state_reason`.",
		Attributes: map[string]schema.Attribute{
			"project_id":   projectIDAttribute(),
			"cluster_name": clusterNameAttribute(),
			"states": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Keep only the export jobs in these states: any of `Queued`, `InProgress`, " +
					"`Successful`, `Failed`, `Cancelled`. All states when unset.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(atlas.KnownStates...)),
				},
			},
			"total_count": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Number of export jobs Atlas lists for the cluster, before the `states` " +
					"filter.",
			},
			"results": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "The export jobs, newest first (by `created_at` descending, ties by `id` " +
					"descending), each once. An empty list when there are none.",
				NestedObject: schema.NestedAttributeObject{Attributes: exportJobAttributes()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
				ReadDescription: fmt.Sprintf("Time limit of the whole read, every page and retry included, as a "+
					"Go duration such as `5m` (default `%s`).", defaultReadTimeout),
			}),
		},
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

func (d *snapshotExportsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req, resp)
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

func (d *snapshotExportsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg snapshotExportsConfig
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, diags := d.data.readContext(ctx, cfg.Timeouts)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	defer cancel()

	list, err := d.data.client.ListExportJobs(ctx, cfg.ProjectID.ValueString(), cfg.ClusterName.ValueString())
	if err != nil {
		addReadError(ctx, &resp.Diagnostics, "Unable to list snapshot export jobs", err)
		return
	}
	tflog.Debug(ctx, "listed export jobs", map[string]any{
		"jobs": len(list.Jobs), "pages": list.Pages, "walks": list.Walks, "atlas_total_count": list.TotalCount,
	})

	var states map[string]bool
	if !cfg.States.IsNull() {
		states = map[string]bool{}
		for _, s := range cfg.States.Elements() {
			if v, ok := s.(types.String); ok {
				states[v.ValueString()] = true
			}
		}
	}
	raw, err := snapshotExportsState(ctx, req.Config.Raw, list.Jobs, states)
	if err != nil {
		resp.Diagnostics.AddError("Unable to build the data source's state",
			err.Error()+"\n\nThis is a bug in the provider; please report it.")
		return
	}
	resp.State.Raw = raw
}

// snapshotExportsState is the data source's whole state: the configuration
// with total_count and results filled in.
func snapshotExportsState(ctx context.Context, config tftypes.Value, jobs []atlas.ExportJob, states map[string]bool) (tftypes.Value, error) {
	stateType, ok := config.Type().(tftypes.Object)
	if !ok {
		return tftypes.Value{}, errors.New("configuration is not an object")
	}
	resultsType, ok := stateType.AttributeTypes["results"].(tftypes.List)
	if !ok {
		return tftypes.Value{}, errors.New("results is not a list")
	}
	jobType, ok := resultsType.ElementType.(tftypes.Object)
	if !ok {
		return tftypes.Value{}, errors.New("results elements are not objects")
	}
	types, err := newJobTypes(jobType)
	if err != nil {
		return tftypes.Value{}, err
	}
	attrs, err := configAttributes(config)
	if err != nil {
		return tftypes.Value{}, err
	}
	results := make([]tftypes.Value, 0, len(jobs))
	for i := range jobs {
		if states != nil && !states[derefString(jobs[i].State)] {
			continue
		}
		results = append(results, types.jobValue(&jobs[i]))
	}
	tflog.Trace(ctx, "built results", map[string]any{"results": len(results)})
	attrs["total_count"] = tftypes.NewValue(tftypes.Number, int64(len(jobs)))
	attrs["results"] = tftypes.NewValue(resultsType, results)
	return tftypes.NewValue(stateType, attrs), nil
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// readContext bounds a read by its timeouts block and masks the provider's
// secrets in everything logged under it.
func (d *providerData) readContext(ctx context.Context, t timeouts.Value) (context.Context, context.CancelFunc, diag.Diagnostics) {
	if d == nil {
		var diags diag.Diagnostics
		diags.AddError("Provider not configured",
			"The data source was read before the provider was configured. This is a bug in the provider; please report it.")
		return ctx, func() {}, diags
	}
	readTimeout, diags := t.Read(ctx, defaultReadTimeout)
	if diags.HasError() {
		return ctx, func() {}, diags
	}
	ctx, cancel := context.WithTimeout(d.maskSecrets(ctx), readTimeout)
	return context.WithValue(ctx, readTimeoutKey{}, readTimeout), cancel, diags
}

type readTimeoutKey struct{}

// addReadError turns a client error into a diagnostic: what failed, what
// Atlas said, and what to do about it.
func addReadError(ctx context.Context, diags *diag.Diagnostics, summary string, err error) {
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
	default:
		if hint := atlas.Hint(err); hint != "" {
			detail.WriteString("\n\n" + hint)
		}
	}
	diags.AddError(summary, detail.String())
}
