package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

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
			"newest first: `results[0]` is the latest export. Each job carries its `prefix`, the full `uri` of the " +
			"export (`s3://`, `gs://` or Azure `https://`) and its `export_bucket`, its per-shard `components` " +
			"and, for failed jobs, the `state_reason`. Export buckets are read with one request per distinct " +
			"bucket of the jobs kept, after the list, and cached for the provider's lifetime.",
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
			"limit": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Keep only the newest `limit` export jobs (at least 1), after the `states` " +
					"filter: with `states = [\"Successful\"]` and `limit = 1`, `results[0]` is the newest successful " +
					"export and the state holds that one job. Every page is still read (Atlas lists oldest and " +
					"newest alike, and the newest is known only once all are), but only the jobs kept are stored " +
					"and have their export buckets read. All jobs when unset.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"resolve_export_buckets": resolveExportBucketsAttribute(),
			"total_count": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Number of export jobs Atlas lists for the cluster, before the `states` " +
					"filter and `limit`.",
			},
			"results": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "The export jobs, newest first (by `created_at` descending, ties by `id` " +
					"descending), each once, after `states` and `limit`. An empty list when there are none.",
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

// snapshotExportsModel is the data source's configuration and state.
type snapshotExportsModel struct {
	ProjectID            types.String   `tfsdk:"project_id"`
	ClusterName          types.String   `tfsdk:"cluster_name"`
	States               types.Set      `tfsdk:"states"`
	Limit                types.Int64    `tfsdk:"limit"`
	ResolveExportBuckets types.Bool     `tfsdk:"resolve_export_buckets"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
	TotalCount           types.Int64    `tfsdk:"total_count"`
	// Results stays null here: the jobs are set as Terraform values built
	// without the framework's reflection (export_job.go).
	Results types.List `tfsdk:"results"`
}

func (d *snapshotExportsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model snapshotExportsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	states, diags := statesFilter(ctx, model.States)
	resp.Diagnostics.Append(diags...)
	ctx, cancel, diags := d.data.readContext(ctx, model.Timeouts)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	defer cancel()

	projectID := model.ProjectID.ValueString()
	list, err := d.data.client.ListExportJobs(ctx, projectID, model.ClusterName.ValueString())
	if err != nil {
		d.data.addReadError(ctx, &resp.Diagnostics, "Unable to list snapshot export jobs", err)
		return
	}
	logDebug(ctx, "listed export jobs", map[string]any{
		"jobs": len(list.Jobs), "pages": list.Pages, "walks": list.Walks, "atlas_total_count": list.TotalCount,
	})
	keep := func(job *atlas.ExportJob) bool {
		// A job without a state matches no filter.
		return states == nil || (job.State != nil && states[*job.State])
	}
	kept := keptJobs(list.Jobs, keep, model.Limit.ValueInt64())
	var buckets resolvedBuckets
	if resolveBuckets(model.ResolveExportBuckets) {
		buckets, diags = d.data.resolveExportBuckets(ctx, projectID, kept)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	model.TotalCount = types.Int64Value(int64(len(list.Jobs)))
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := setResults(ctx, &resp.State, kept, buckets); err != nil {
		addBugError(&resp.Diagnostics, "Unable to build the data source's state", err)
	}
}

// keptJobs are the newest limit jobs (all when limit is 0) that keep
// accepts, in order; jobs itself when that is all of them.
func keptJobs(jobs []atlas.ExportJob, keep func(*atlas.ExportJob) bool, limit int64) []atlas.ExportJob {
	kept := jobs[:0:0]
	for i := range jobs {
		if limit > 0 && int64(len(kept)) >= limit {
			break
		}
		if keep(&jobs[i]) {
			if len(kept) == i { // every job so far is kept: no copy (and no room to append into jobs)
				kept = jobs[: i+1 : i+1]
				continue
			}
			kept = append(kept, jobs[i])
		}
	}
	return kept
}

// resultsJobTypes are the types of one job of the results, from the schema.
func resultsJobTypes(stateType tftypes.Type) (jobTypes, error) {
	object, ok := stateType.(tftypes.Object)
	if !ok {
		return jobTypes{}, errors.New("the state is not an object")
	}
	resultsType, ok := object.AttributeTypes["results"].(tftypes.List)
	if !ok {
		return jobTypes{}, errors.New("results is not a list")
	}
	jobType, ok := resultsType.ElementType.(tftypes.Object)
	if !ok {
		return jobTypes{}, errors.New("results elements are not objects")
	}
	return newJobTypes(jobType)
}

// setResults sets the state's results to jobs, built as Terraform values.
func setResults(ctx context.Context, state *tfsdk.State, jobs []atlas.ExportJob, buckets resolvedBuckets) error {
	t, err := resultsJobTypes(state.Raw.Type())
	if err != nil {
		return err
	}
	results := make([]tftypes.Value, len(jobs))
	for i := range jobs {
		results[i] = t.jobValue(&jobs[i], buckets)
	}
	logTrace(ctx, "built results", map[string]any{"results": len(results)})
	return setStateValue(state, "results", tftypes.NewValue(tftypes.List{ElementType: t.job}, results))
}
