package provider

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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
		addBugError(&diags, "Unable to read the data source's configuration", err)
		return tftypes.Value{}, diags
	}
	ctx, cancel, diags := data.readContext(ctx, args.readTimeout)
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	defer cancel()

	keep := func(job *atlas.ExportJob) bool {
		// A job without a state matches no filter.
		return args.states == nil || (job.State != nil && args.states[*job.State])
	}
	list, err := data.client.ListExportJobs(ctx, args.projectID, args.clusterName)
	if err != nil {
		data.addReadError(ctx, &diags, "Unable to list snapshot export jobs", err)
		return tftypes.Value{}, diags
	}
	logDebug(ctx, "listed export jobs", map[string]any{
		"jobs": len(list.Jobs), "pages": list.Pages, "walks": list.Walks, "atlas_total_count": list.TotalCount,
	})
	kept := keptJobs(list.Jobs, keep, args.limit)
	jobTypes, err := exportsJobTypes(config)
	if err != nil {
		addBugError(&diags, "Unable to build the data source's state", err)
		return tftypes.Value{}, diags
	}
	var buckets exportBucketValues
	if args.resolveBuckets {
		var bucketDiags diag.Diagnostics
		buckets, bucketDiags = data.resolveExportBuckets(ctx, args.projectID, kept, jobTypes)
		diags.Append(bucketDiags...)
		if diags.HasError() {
			return tftypes.Value{}, diags
		}
	}
	state, err := snapshotExportsState(ctx, config, jobTypes, kept, len(list.Jobs), buckets)
	if err != nil {
		addBugError(&diags, "Unable to build the data source's state", err)
	}
	return state, diags
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

// snapshotExportsArguments are the data source's arguments.
type snapshotExportsArguments struct {
	readArguments
	// states is nil when every state is wanted.
	states map[string]bool
	// limit is 0 when every job is wanted.
	limit int64
}

func snapshotExportsArgumentsFrom(config tftypes.Value) (snapshotExportsArguments, error) {
	var args snapshotExportsArguments
	shared, attrs, err := readArgumentsFrom(config)
	if err != nil {
		return args, err
	}
	args.readArguments = shared
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
	if limit := attrs["limit"]; !limit.IsNull() {
		var n big.Float
		if err := limit.As(&n); err != nil {
			return args, fmt.Errorf("limit: %w", err)
		}
		args.limit, _ = n.Int64()
	}
	return args, nil
}

// exportsJobTypes are the types of one job of the results, from the schema.
func exportsJobTypes(config tftypes.Value) (jobTypes, error) {
	stateType, ok := config.Type().(tftypes.Object)
	if !ok {
		return jobTypes{}, errors.New("configuration is not an object")
	}
	resultsType, ok := stateType.AttributeTypes["results"].(tftypes.List)
	if !ok {
		return jobTypes{}, errors.New("results is not a list")
	}
	jobType, ok := resultsType.ElementType.(tftypes.Object)
	if !ok {
		return jobTypes{}, errors.New("results elements are not objects")
	}
	return newJobTypes(jobType)
}

// snapshotExportsState is the data source's whole state: the configuration
// with total_count and results (the jobs kept) filled in.
func snapshotExportsState(ctx context.Context, config tftypes.Value, jobTypes jobTypes, jobs []atlas.ExportJob,
	totalCount int, buckets exportBucketValues,
) (tftypes.Value, error) {
	attrs, err := configAttributes(config)
	if err != nil {
		return tftypes.Value{}, err
	}
	results := make([]tftypes.Value, len(jobs))
	for i := range jobs {
		results[i] = jobTypes.jobValue(&jobs[i], buckets)
	}
	logTrace(ctx, "built results", map[string]any{"results": len(results)})
	attrs["total_count"] = tftypes.NewValue(tftypes.Number, int64(totalCount))
	attrs["results"] = tftypes.NewValue(tftypes.List{ElementType: jobTypes.job}, results)
	return tftypes.NewValue(config.Type(), attrs), nil
}
