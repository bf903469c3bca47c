package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/boolvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	fwattr "github.com/hashicorp/terraform-plugin-framework/attr" // attr names a test helper of this package
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

var (
	_ datasource.DataSource                     = (*snapshotExportDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*snapshotExportDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*snapshotExportDataSource)(nil)
)

// NewSnapshotExportDataSource is the atlasexports_snapshot_export data source.
func NewSnapshotExportDataSource() datasource.DataSource {
	return &snapshotExportDataSource{}
}

type snapshotExportDataSource struct {
	data *providerData
}

// snapshotExportModel is the data source's configuration and state: its
// arguments and the job's attributes.
type snapshotExportModel struct {
	ProjectID            types.String   `tfsdk:"project_id"`
	ClusterName          types.String   `tfsdk:"cluster_name"`
	ExportID             types.String   `tfsdk:"export_id"`
	MostRecent           types.Bool     `tfsdk:"most_recent"`
	States               types.Set      `tfsdk:"states"`
	OrderBy              types.String   `tfsdk:"order_by"`
	ResolveExportBuckets types.Bool     `tfsdk:"resolve_export_buckets"`
	WaitForCompletion    types.Bool     `tfsdk:"wait_for_completion"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
	exportJobModel
	ExportBucket *exportBucketModel `tfsdk:"export_bucket"`
}

// mostRecentStates are the states a most_recent lookup keeps by default: a
// pipeline must not read an export still being written, or one that failed
// and left partial data behind.
var mostRecentStates = []string{atlas.StateSuccessful}

func (d *snapshotExportDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_snapshot_export"
}

func (d *snapshotExportDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := exportJobAttributes()
	attributes["project_id"] = projectIDAttribute()
	attributes["cluster_name"] = clusterNameAttribute()
	attributes["export_id"] = schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Unique 24-hexadecimal character string that identifies the export job to read, such " +
			"as an `id` from `atlasexports_snapshot_exports` or one a pipeline run recorded. Set exactly one of " +
			"`export_id` and `most_recent = true`.",
		Validators: []validator.String{
			stringvalidator.RegexMatches(atlas.ExportIDPattern, "must be 24 lowercase hexadecimal characters, such as 32b6e34b3d91647abb20e7b8"),
		},
	}
	attributes["most_recent"] = schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "Read the newest export job of the cluster instead of one `export_id`: the newest, in " +
			"the order of `order_by`, of the jobs in `states`, which default to `[\"Successful\"]` so that a " +
			"pipeline never reads an export still being written or one that failed and left partial data behind. " +
			"Every page of the cluster's list is read. When no job matches, the read fails with an error that says " +
			"so; for a lookup that may come back empty, use `atlasexports_snapshot_exports` with `limit = 1`. Set " +
			"exactly one of `export_id` and `most_recent = true`.",
	}
	attributes["wait_for_completion"] = schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "Only with `export_id`: when the job is `Queued` or `InProgress`, wait until it ends " +
			"(`Successful`, `Failed` or `Cancelled`), within `timeouts.read`, then read it as it ended. Defaults to " +
			"`false`. A job started in the same apply (by the `atlasexports_export_snapshot` action with " +
			"`wait = false`, or by another provider's resource) is so read once it is done, and its `uri` handed on. " +
			"A job that does not end in time fails the read; the job keeps running in Atlas.",
		Validators: []validator.Bool{
			boolvalidator.AlsoRequires(path.MatchRoot("export_id")),
			boolvalidator.ConflictsWith(path.MatchRoot("most_recent")),
		},
	}
	attributes["states"] = statesAttribute("Only with `most_recent = true`: the states the newest job is " +
		"chosen among. Defaults to `[\"Successful\"]`.")
	attributes["order_by"] = orderByAttribute("Only with `most_recent = true`: what newest means.")
	attributes["resolve_export_buckets"] = resolveExportBucketsAttribute("`export_bucket`",
		"`export_bucket` and `uri` are then null.")
	attributes["timeouts"] = timeoutsAttribute(ctx, fmt.Sprintf("Time limit of the read, every page of the "+
		"list (with `most_recent`) and retry included, as a Go duration such as `1m` (default `%s`).",
		durationText(defaultReadTimeout)))
	attributes["export_bucket"] = schema.SingleNestedAttribute{
		Computed: true,
		MarkdownDescription: "The export bucket the job exported to, as Atlas describes it. Null when " +
			"`resolve_export_buckets` is `false`, and when the bucket no longer exists (a warning says so). " +
			bucketsNote,
		Attributes: exportBucketAttributes(),
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one Cloud Backup snapshot export job of an Atlas cluster: by its ID, or the " +
			"newest one (`most_recent`), by default the newest successful export. Its attributes are those of one " +
			"item of `atlasexports_snapshot_exports`'s `results`, with its `export_bucket`.",
		Attributes: attributes,
	}
}

// ConfigValidators refuse, before any request, a configuration that does not
// say which job to read, or that sets an argument the read would ignore.
func (d *snapshotExportDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		positiveReadTimeout{},
		exportJobSelection{},
		onlyWithMostRecent{name: "states"},
		onlyWithMostRecent{name: "order_by"},
	}
}

// selectionHow is how to say which job to read, the end of every error of
// the selection.
const selectionHow = "Set export_id to read one export job by its ID, or most_recent = true to read the newest " +
	"export job that matches states (by default [\"Successful\"])."

// exportJobSelection requires exactly one of export_id and most_recent =
// true. datasourcevalidator.ExactlyOneOf cannot say it: it counts
// most_recent = false as a choice, so it would refuse export_id with
// most_recent = false (which reads that job) and accept most_recent = false
// alone (which chooses none); and its "[export_id,most_recent]" does not say
// that most_recent must be true.
type exportJobSelection struct{}

func (exportJobSelection) Description(context.Context) string {
	return "exactly one of export_id and most_recent = true"
}

func (v exportJobSelection) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (exportJobSelection) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var exportID types.String
	var mostRecent types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("export_id"), &exportID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("most_recent"), &mostRecent)...)
	if resp.Diagnostics.HasError() || exportID.IsUnknown() || mostRecent.IsUnknown() {
		return
	}
	switch byID, newest := !exportID.IsNull(), mostRecent.ValueBool(); {
	case byID && newest:
		resp.Diagnostics.AddAttributeError(path.Root("most_recent"), "Conflicting export job selection",
			"export_id and most_recent = true each choose the job to read: set only one of them. "+selectionHow)
	case byID || newest: // exactly one
	case !mostRecent.IsNull():
		resp.Diagnostics.AddAttributeError(path.Root("most_recent"), "No export job selected",
			"most_recent = false chooses no job. "+selectionHow)
	default:
		resp.Diagnostics.AddError("No export job selected",
			"The data source needs export_id or most_recent = true to know which job to read. "+selectionHow)
	}
}

// onlyWithMostRecent refuses an argument that chooses among the jobs
// (states, order_by) beside export_id, which reads one job whatever its
// state. datasourcevalidator.Conflicting expresses the rule, but its
// "These attributes cannot be configured together: [states,export_id]"
// says neither that the argument would be ignored nor what to set instead.
type onlyWithMostRecent struct{ name string }

func (v onlyWithMostRecent) Description(context.Context) string {
	return v.name + " only with most_recent = true"
}

func (v onlyWithMostRecent) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v onlyWithMostRecent) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var exportID types.String
	var mostRecent types.Bool
	var value fwattr.Value
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("export_id"), &exportID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("most_recent"), &mostRecent)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(v.name), &value)...)
	// With most_recent = true as well, exportJobSelection says the conflict.
	// An unknown value may yet be null: Terraform validates again once it is
	// known.
	if resp.Diagnostics.HasError() || exportID.IsNull() || exportID.IsUnknown() || mostRecent.IsUnknown() ||
		mostRecent.ValueBool() || value.IsNull() || value.IsUnknown() {
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root(v.name), "Argument only used with most_recent",
		v.name+" chooses among the jobs when most_recent = true; with export_id the job of that ID is read, "+
			"whatever its state. Remove "+v.name+", or read the newest job with most_recent = true instead of "+
			"export_id.")
}

func (d *snapshotExportDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req, resp)
}

func (d *snapshotExportDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model snapshotExportModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, diags := d.data.readContext(ctx, model.Timeouts)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	defer cancel()

	var job *atlas.ExportJob
	if model.MostRecent.ValueBool() {
		job, diags = d.mostRecentJob(ctx, &model)
	} else {
		job, diags = d.jobByID(ctx, &model)
	}
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if model.WaitForCompletion.ValueBool() && !atlas.Ended(job) {
		job, diags = d.data.waitForExport(ctx, model.ProjectID.ValueString(), model.ClusterName.ValueString(), str(job.ID),
			fmt.Sprintf("timeouts.read, %v", ctx.Value(readTimeoutKey{})), nil)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	var buckets resolvedBuckets
	if resolveBuckets(model.ResolveExportBuckets) {
		buckets, diags = d.data.resolveExportBuckets(ctx, model.ProjectID.ValueString(), []atlas.ExportJob{*job})
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	model.exportJobModel = newExportJobModel(job, buckets)
	model.ExportBucket = buckets.model(job)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

func (d *snapshotExportDataSource) jobByID(ctx context.Context, model *snapshotExportModel) (*atlas.ExportJob, diag.Diagnostics) {
	var diags diag.Diagnostics
	job, err := d.data.client.GetExportJob(ctx, model.ProjectID.ValueString(), model.ClusterName.ValueString(), model.ExportID.ValueString())
	if err != nil {
		d.data.addReadError(ctx, &diags, "Unable to read the snapshot export job", err)
	}
	return job, diags
}

// mostRecentJob is the newest job of the cluster that the configuration's
// states (by default mostRecentStates) and order_by choose; an error when
// there is none.
func (d *snapshotExportDataSource) mostRecentJob(ctx context.Context, model *snapshotExportModel) (*atlas.ExportJob, diag.Diagnostics) {
	var diags diag.Diagnostics
	states, defaultStates := model.States, model.States.IsNull()
	if defaultStates {
		states, diags = types.SetValueFrom(ctx, types.StringType, mostRecentStates)
	}
	selection, selectionDiags := newJobSelection(ctx, states, model.OrderBy, types.Int64Value(1))
	diags.Append(selectionDiags...)
	if diags.HasError() {
		return nil, diags
	}
	cluster := model.ClusterName.ValueString()
	list, err := d.data.client.ListExportJobs(ctx, model.ProjectID.ValueString(), cluster)
	if err != nil {
		d.data.addReadError(ctx, &diags, "Unable to list snapshot export jobs", err)
		return nil, diags
	}
	kept := selection.apply(list.Jobs)
	if len(kept) == 0 {
		filter := selection.String()
		if defaultStates {
			filter += " (most_recent's default)"
		}
		diags.AddAttributeError(path.Root("most_recent"), "No matching snapshot export job",
			fmt.Sprintf("Atlas lists %s for cluster %q of project %s, and none is %s. most_recent reads a job "+
				"that exists, so that nothing downstream runs on a missing export. For a lookup that may come back "+
				"empty, use the atlasexports_snapshot_exports data source with the same states and limit = 1: its "+
				"results are then an empty list, and try(results[0].uri, null) is null.",
				jobCount(len(list.Jobs)), cluster, model.ProjectID.ValueString(), filter))
		return nil, diags
	}
	return &kept[0], diags
}

// jobCount says how many export jobs there are, in words.
func jobCount(n int) string {
	switch n {
	case 0:
		return "no export jobs"
	case 1:
		return "1 export job"
	}
	return fmt.Sprintf("%d export jobs", n)
}
