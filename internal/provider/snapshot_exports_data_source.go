package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
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
	_ datasource.DataSource                   = (*snapshotExportsDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*snapshotExportsDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*snapshotExportsDataSource)(nil)
)

// NewSnapshotExportsDataSource is the atlasexports_snapshot_exports data source.
func NewSnapshotExportsDataSource() datasource.DataSource {
	return &snapshotExportsDataSource{}
}

type snapshotExportsDataSource struct {
	data *providerData
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
					"`Successful`, `Failed`, `Cancelled` (case-sensitive). All states when unset. A state Atlas " +
					"does not document, such as one added after this provider version, is a plan-time warning " +
					"and is filtered on as given; a documented state in the wrong case is an error.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.NoNullValues(),
					setvalidator.ValueStringsAre(exportStateValidator{}),
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
					"Go duration such as `5m` (default `%s`).", durationText(defaultReadTimeout)),
			}),
		},
	}
}

func (d *snapshotExportsDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateReadTimeout(ctx, req, resp)
}

func (d *snapshotExportsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req, resp)
}

func (d *snapshotExportsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	state, diags := readSnapshotExports(ctx, d.data, req.Config.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.State.Raw = state
}

// readSnapshotExports is the whole read: the configuration in, the state
// out, in tftypes values, which export_job.go builds without the framework's
// reflection.
func readSnapshotExports(ctx context.Context, data *providerData, config tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	args, err := snapshotExportsArgumentsFrom(config)
	if err != nil {
		diags.AddError("Unable to read the data source's configuration",
			err.Error()+"\n\nThis is a bug in the provider; please report it.")
		return tftypes.Value{}, diags
	}
	ctx, cancel, diags := data.readContext(ctx, args.readTimeout)
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	defer cancel()

	list, err := data.client.ListExportJobs(ctx, args.projectID, args.clusterName)
	if err != nil {
		data.addReadError(ctx, &diags, "Unable to list snapshot export jobs", err)
		return tftypes.Value{}, diags
	}
	tflog.Debug(ctx, "listed export jobs", map[string]any{
		"jobs": len(list.Jobs), "pages": list.Pages, "walks": list.Walks, "atlas_total_count": list.TotalCount,
	})
	state, err := snapshotExportsState(ctx, config, list.Jobs, args.states)
	if err != nil {
		diags.AddError("Unable to build the data source's state",
			err.Error()+"\n\nThis is a bug in the provider; please report it.")
	}
	return state, diags
}

// snapshotExportsArguments are the data source's arguments.
type snapshotExportsArguments struct {
	projectID, clusterName string
	// states is nil when every state is wanted.
	states map[string]bool
	// readTimeout is the timeouts block's read value, "" when unset.
	readTimeout string
}

func snapshotExportsArgumentsFrom(config tftypes.Value) (snapshotExportsArguments, error) {
	var args snapshotExportsArguments
	if !config.IsFullyKnown() {
		return args, errors.New("the configuration has unknown values")
	}
	attrs := map[string]tftypes.Value{}
	if err := config.As(&attrs); err != nil {
		return args, err
	}
	if err := attrs["project_id"].As(&args.projectID); err != nil {
		return args, fmt.Errorf("project_id: %w", err)
	}
	if err := attrs["cluster_name"].As(&args.clusterName); err != nil {
		return args, fmt.Errorf("cluster_name: %w", err)
	}
	if states := attrs["states"]; !states.IsNull() {
		var elements []tftypes.Value
		if err := states.As(&elements); err != nil {
			return args, fmt.Errorf("states: %w", err)
		}
		args.states = make(map[string]bool, len(elements))
		for _, e := range elements {
			var state string
			if err := e.As(&state); err != nil {
				return args, fmt.Errorf("states: %w", err)
			}
			args.states[state] = true
		}
	}
	readTimeout, err := timeoutsRead(attrs["timeouts"])
	args.readTimeout = readTimeout
	return args, err
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
	jobTypes, err := newJobTypes(jobType)
	if err != nil {
		return tftypes.Value{}, err
	}
	attrs, err := configAttributes(config)
	if err != nil {
		return tftypes.Value{}, err
	}
	results := make([]tftypes.Value, 0, len(jobs))
	for i := range jobs {
		// A job without a state matches no filter.
		if states != nil && (jobs[i].State == nil || !states[*jobs[i].State]) {
			continue
		}
		results = append(results, jobTypes.jobValue(&jobs[i]))
	}
	tflog.Trace(ctx, "built results", map[string]any{"results": len(results)})
	attrs["total_count"] = tftypes.NewValue(tftypes.Number, int64(len(jobs)))
	attrs["results"] = tftypes.NewValue(resultsType, results)
	return tftypes.NewValue(stateType, attrs), nil
}
