package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

var (
	_ datasource.DataSource                     = (*snapshotExportsDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*snapshotExportsDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*snapshotExportsDataSource)(nil)
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
			"newest first, optionally filtered by state and limited to the newest few. Each job carries its " +
			"`prefix`, the time of the snapshot it exports (`snapshot_created_at`), the full `uri` of the export " +
			"(`s3://`, `gs://` or Azure `https://`), its per-shard `components` and, for failed jobs, the " +
			"`state_reason`; the jobs' export buckets are in `export_buckets`, each once. For the newest export " +
			"alone, which must exist, `atlasexports_snapshot_export` with `most_recent = true` is shorter; this " +
			"data source with `limit = 1` gives an empty `results` when there is none.",
		Attributes: map[string]schema.Attribute{
			"project_id":   projectIDAttribute(),
			"cluster_name": clusterNameAttribute(),
			"states":       statesAttribute("Keep only the export jobs in these states; all states when unset."),
			"order_by": orderByAttribute("What newest means for `results` (and so for `limit`), applied after " +
				"`states` and before `limit`:"),
			"limit": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Keep only the newest `limit` export jobs (at least 1), after the `states` " +
					"filter and in the order of `order_by`: with `states = [\"Successful\"]` and `limit = 1`, " +
					"`results[0]` is the newest successful export and the state holds that one job. Every page is " +
					"still read (Atlas lists oldest and newest alike, and the newest is known only once all are), but " +
					"only the jobs kept are stored and have their export buckets read. All jobs when unset.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"resolve_export_buckets": resolveExportBucketsAttribute("`export_buckets`",
				"`export_buckets` is then empty and every `uri` null."),
			"timeouts": timeoutsAttribute(ctx, fmt.Sprintf("Time limit of the whole read, every page and retry "+
				"included, as a Go duration such as `5m` (default `%s`).", durationText(defaultReadTimeout))),
			"total_count": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Number of export jobs Atlas lists for the cluster, before the `states` " +
					"filter and `limit`.",
			},
			"results": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "The export jobs kept by `states`, newest first in the order of `order_by` " +
					"(by default `created_at` descending, ties by `id` descending), each once, at most `limit`. An " +
					"empty list when there are none. A job's export bucket is " +
					"`export_buckets[job.export_bucket_id]`.",
				NestedObject: schema.NestedAttributeObject{Attributes: exportJobAttributes()},
			},
			"export_buckets": schema.MapNestedAttribute{
				Computed: true,
				MarkdownDescription: "The export buckets of the jobs in `results`, keyed by bucket ID (a job's " +
					"`export_bucket_id`), each once, as Atlas describes them. An empty map when " +
					"`resolve_export_buckets` is `false`; a bucket that no longer exists is not in it (a warning names " +
					"it), so look a job's bucket up with `lookup()` or `try()`. " + bucketsNote,
				NestedObject: schema.NestedAttributeObject{Attributes: exportBucketAttributes()},
			},
		},
	}
}

func (d *snapshotExportsDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{positiveReadTimeout{}}
}

func (d *snapshotExportsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req, resp)
}

// snapshotExportsModel is the data source's configuration and state.
type snapshotExportsModel struct {
	ProjectID            types.String                 `tfsdk:"project_id"`
	ClusterName          types.String                 `tfsdk:"cluster_name"`
	States               types.Set                    `tfsdk:"states"`
	OrderBy              types.String                 `tfsdk:"order_by"`
	Limit                types.Int64                  `tfsdk:"limit"`
	ResolveExportBuckets types.Bool                   `tfsdk:"resolve_export_buckets"`
	Timeouts             timeouts.Value               `tfsdk:"timeouts"`
	TotalCount           types.Int64                  `tfsdk:"total_count"`
	ExportBuckets        map[string]exportBucketModel `tfsdk:"export_buckets"`
	// Results stays the configuration's null here: the jobs are set as
	// Terraform values built without the framework's reflection
	// (setResults).
	Results types.List `tfsdk:"results"`
}

func (d *snapshotExportsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model snapshotExportsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	selection, diags := newJobSelection(ctx, model.States, model.OrderBy, model.Limit)
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
	kept := selection.apply(list.Jobs)
	var buckets resolvedBuckets
	if resolveBuckets(model.ResolveExportBuckets) {
		buckets, diags = d.data.resolveExportBuckets(ctx, projectID, kept)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	model.TotalCount = types.Int64Value(int64(len(list.Jobs)))
	model.ExportBuckets = buckets.models()
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := setResults(ctx, &resp.State, kept, buckets); err != nil {
		addBugError(&resp.Diagnostics, "Unable to build the data source's state", err)
	}
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
