package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

var (
	_ action.Action                   = (*exportSnapshotAction)(nil)
	_ action.ActionWithConfigure      = (*exportSnapshotAction)(nil)
	_ action.ActionWithValidateConfig = (*exportSnapshotAction)(nil)
)

// NewExportSnapshotAction is the atlasexports_export_snapshot action.
func NewExportSnapshotAction() action.Action {
	return &exportSnapshotAction{}
}

type exportSnapshotAction struct {
	data *providerData
}

type exportSnapshotModel struct {
	ProjectID      types.String   `tfsdk:"project_id"`
	ClusterName    types.String   `tfsdk:"cluster_name"`
	ExportBucketID types.String   `tfsdk:"export_bucket_id"`
	SnapshotID     types.String   `tfsdk:"snapshot_id"`
	CustomData     types.Map      `tfsdk:"custom_data"`
	Wait           types.Bool     `tfsdk:"wait"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

// defaultInvokeTimeout bounds an invocation that waits: exports of large
// clusters take hours.
const defaultInvokeTimeout = 6 * time.Hour

func (a *exportSnapshotAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_export_snapshot"
}

func (a *exportSnapshotAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	idValidators := []validator.String{
		stringvalidator.RegexMatches(atlas.ExportIDPattern, "must be 24 lowercase hexadecimal characters, such as 32b6e34b3d91647abb20e7b8"),
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Exports a Cloud Backup snapshot of an Atlas cluster to an export bucket, by default the " +
			"newest completed snapshot, and waits until the export job ends, reporting its progress. Invoke it with " +
			"`terraform apply -invoke=action.atlasexports_export_snapshot.NAME`, or from a resource's " +
			"`lifecycle { action_trigger { ... } }`. Needs Terraform 1.14 or later. If an export of the same " +
			"snapshot to the same bucket is already `Queued` or `InProgress`, it waits on that job instead of " +
			"starting another. Every export writes the whole snapshot to the bucket again.",
		Attributes: map[string]schema.Attribute{
			"project_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Unique 24-hexadecimal character string that identifies the Atlas project (group) of the cluster.",
				Validators:          projectIDAttribute().Validators,
			},
			"cluster_name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the Atlas cluster whose snapshot to export.",
				Validators:          clusterNameAttribute().Validators,
			},
			"export_bucket_id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Unique 24-hexadecimal character string that identifies the export bucket to " +
					"export to (the `_id` Atlas gave the bucket when it was granted access).",
				Validators: idValidators,
			},
			"snapshot_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Unique 24-hexadecimal character string that identifies the snapshot to export; " +
					"it must be a `completed` snapshot of this cluster. By default, the cluster's newest `completed` " +
					"snapshot, by the time Atlas took it: never one still queued or in progress, never a failed one.",
				Validators: idValidators,
			},
			"custom_data": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Key-value pairs Atlas writes into the metadata file it uploads to the bucket " +
					"when the export ends (the job's `customData`).",
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.LengthAtLeast(1))},
			},
			"wait": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Wait until the export job ends (`Successful`, `Failed` or `Cancelled`), " +
					"reporting its progress. Defaults to `true`. With `false`, the invocation ends once Atlas has " +
					"accepted the job.",
			},
			"timeouts": timeouts.AttributesWithOpts(ctx, timeouts.Opts{
				InvokeDescription: fmt.Sprintf("Time limit of the invocation, the wait included, as a Go duration "+
					"such as `90m` (default `%s`). When it passes, the invocation fails, and the export job keeps "+
					"running in Atlas.", "6h"),
			}),
		},
	}
}

// ValidateConfig refuses, at plan time, an invoke timeout that parses but
// is not positive, which would fail every invocation.
func (a *exportSnapshotAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	invokePath := path.Root("timeouts").AtName("invoke")
	var invoke types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, invokePath, &invoke)...)
	if resp.Diagnostics.HasError() || invoke.IsNull() || invoke.IsUnknown() {
		return
	}
	if d, err := time.ParseDuration(invoke.ValueString()); err == nil && d <= 0 {
		resp.Diagnostics.AddAttributeError(invokePath, "Invalid invoke timeout",
			fmt.Sprintf("%q is not a positive duration. Use a number with a unit, such as \"90m\" or \"6h\".", invoke.ValueString()))
	}
}

func (a *exportSnapshotAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", req.ProviderData))
		return
	}
	a.data = data
}

func (a *exportSnapshotAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var model exportSnapshotModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.data == nil {
		resp.Diagnostics.AddError("Provider not configured",
			"The action was invoked before the provider was configured. This is a bug in the provider; please report it.")
		return
	}
	timeout, diags := model.Timeouts.Invoke(ctx, defaultInvokeTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(a.data.maskSecrets(ctx), timeout)
	defer cancel()
	say := func(msg string) { resp.SendProgress(action.InvokeProgressEvent{Message: msg}) }
	projectID, cluster, bucketID := model.ProjectID.ValueString(), model.ClusterName.ValueString(), model.ExportBucketID.ValueString()

	snapshot, diags := a.snapshot(ctx, projectID, cluster, model.SnapshotID)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	location, diags := a.bucketLocation(ctx, projectID, bucketID)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	job, diags := a.start(ctx, projectID, cluster, snapshot, bucketID, model.CustomData, say)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() || (!model.Wait.IsNull() && !model.Wait.ValueBool()) {
		return
	}
	limit := fmt.Sprintf("timeouts.invoke, %s", durationText(timeout))
	job, diags = a.data.waitForExport(ctx, projectID, cluster, str(job.ID), limit, say)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	if resp.Diagnostics.Append(endedDiags(job)...); resp.Diagnostics.HasError() {
		return
	}
	uri := "unknown (the bucket makes no known address; its prefix is " + str(job.Prefix) + ")"
	if location != "" && str(job.Prefix) != "" {
		uri = atlas.ExportURI(location, str(job.Prefix))
	}
	say(fmt.Sprintf("Export job %s finished Successful: snapshot %s (taken %s) of cluster %q is at %s",
		str(job.ID), str(snapshot.ID), str(snapshot.CreatedAt), cluster, uri))
}

// snapshot is the snapshot to export: snapshotID's, which must be a
// completed snapshot of the cluster, or the newest completed one.
func (a *exportSnapshotAction) snapshot(ctx context.Context, projectID, cluster string, snapshotID types.String) (*atlas.Snapshot, diag.Diagnostics) {
	var diags diag.Diagnostics
	list, err := a.data.client.ListSnapshots(ctx, projectID, cluster)
	if err != nil {
		a.addError(ctx, &diags, "Unable to list the cluster's snapshots", err)
		return nil, diags
	}
	if !snapshotID.IsNull() {
		s := atlas.FindSnapshot(list.Snapshots, snapshotID.ValueString())
		switch {
		case s == nil:
			diags.AddAttributeError(path.Root("snapshot_id"), "Snapshot not found",
				fmt.Sprintf("Cluster %q of project %s has no snapshot %s (its snapshots: %s). Use a snapshot of this "+
					"cluster, or leave snapshot_id out to export the newest completed one.",
					cluster, projectID, snapshotID.ValueString(), atlas.StatusSummary(list.Snapshots)))
		case str(s.Status) != atlas.SnapshotCompleted:
			diags.AddAttributeError(path.Root("snapshot_id"), "Snapshot not completed",
				fmt.Sprintf("Snapshot %s of cluster %q is %s; only a completed snapshot can be exported. Wait until "+
					"it completes, or leave snapshot_id out to export the newest completed one.",
					snapshotID.ValueString(), cluster, str(s.Status)))
		default:
			return s, diags
		}
		return nil, diags
	}
	s := atlas.NewestCompleted(list.Snapshots)
	if s == nil {
		diags.AddAttributeError(path.Root("cluster_name"), "No completed snapshot to export",
			fmt.Sprintf("Cluster %q of project %s has no completed snapshot (its snapshots: %s). Take one, or "+
				"wait until one in progress completes, then invoke the action again.",
				cluster, projectID, atlas.StatusSummary(list.Snapshots)))
	}
	return s, diags
}

// bucketLocation reads the export bucket, which must exist, and returns
// the address its exports' uri starts with ("" when it makes no known one).
func (a *exportSnapshotAction) bucketLocation(ctx context.Context, projectID, bucketID string) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	buckets, err := a.data.client.GetExportBuckets(ctx, projectID, []string{bucketID})
	if err != nil {
		a.addError(ctx, &diags, "Unable to read the export bucket", err)
		return "", diags
	}
	if len(buckets.NotFound) > 0 {
		diags.AddAttributeError(path.Root("export_bucket_id"), "Export bucket not found",
			fmt.Sprintf("Project %s has no export bucket %s (Atlas answered 404). Use the id of an export bucket "+
				"of this project.", projectID, bucketID))
		return "", diags
	}
	resolved, locationDiags := locateBuckets([]string{bucketID}, buckets.Found)
	diags.Append(locationDiags...)
	return resolved[bucketID].location, diags
}

// start creates the export job, or finds the one already exporting the
// snapshot to the bucket.
func (a *exportSnapshotAction) start(ctx context.Context, projectID, cluster string, snapshot *atlas.Snapshot, bucketID string,
	customData types.Map, say func(string)) (*atlas.ExportJob, diag.Diagnostics) {
	var diags diag.Diagnostics
	snapshotID := str(snapshot.ID)
	active, err := a.data.client.ActiveExport(ctx, projectID, cluster, snapshotID, bucketID, time.Time{})
	if err != nil {
		a.addError(ctx, &diags, "Unable to list the cluster's export jobs", err)
		return nil, diags
	}
	if active != nil {
		say(fmt.Sprintf("Export job %s already exports snapshot %s (taken %s) to bucket %s and is %s: waiting on it "+
			"instead of starting another.", str(active.ID), snapshotID, str(snapshot.CreatedAt), bucketID, str(active.State)))
		return active, diags
	}
	labels := map[string]string{}
	diags.Append(customData.ElementsAs(ctx, &labels, false)...)
	if diags.HasError() {
		return nil, diags
	}
	job, err := a.data.client.CreateExportJob(ctx, projectID, cluster, atlas.ExportRequest{
		SnapshotID: snapshotID, ExportBucketID: bucketID, CustomData: labels,
	})
	if err != nil {
		summary := "Unable to create the export job"
		if _, ok := errors.AsType[*atlas.AmbiguousCreateError](err); ok {
			summary = "Export job outcome unknown"
		}
		a.addError(ctx, &diags, summary, err)
		return nil, diags
	}
	say(fmt.Sprintf("Atlas accepted export job %s of snapshot %s (taken %s) to bucket %s: %s, prefix %s.",
		str(job.ID), snapshotID, str(snapshot.CreatedAt), bucketID, str(job.State), str(job.Prefix)))
	return job, diags
}

// addError is a failed request's diagnostic; running out of the invoke
// time names timeouts.invoke, not the data sources' read timeout.
func (a *exportSnapshotAction) addError(ctx context.Context, diags *diag.Diagnostics, summary string, err error) {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		diags.AddError(summary, fmt.Sprintf("%v.\n\nThe invocation did not finish within timeouts.invoke. Raise it, "+
			"or check the network path to Atlas.", err))
		return
	}
	a.data.addReadError(ctx, diags, summary, err)
}
