package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

var (
	_ datasource.DataSource                   = (*snapshotExportDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*snapshotExportDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*snapshotExportDataSource)(nil)
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
	ResolveExportBuckets types.Bool     `tfsdk:"resolve_export_buckets"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
	exportJobModel
}

func (d *snapshotExportDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_snapshot_export"
}

func (d *snapshotExportDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := exportJobAttributes()
	attributes["project_id"] = projectIDAttribute()
	attributes["cluster_name"] = clusterNameAttribute()
	attributes["export_id"] = schema.StringAttribute{
		Required: true,
		MarkdownDescription: "Unique 24-hexadecimal character string that identifies the export job, such as an " +
			"`id` from `atlasexports_snapshot_exports`.",
		Validators: []validator.String{
			stringvalidator.RegexMatches(atlas.ExportIDPattern, "must be 24 lowercase hexadecimal characters, such as 32b6e34b3d91647abb20e7b8"),
		},
	}
	attributes["resolve_export_buckets"] = resolveExportBucketsAttribute()
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one Cloud Backup snapshot export job of an Atlas cluster by its ID, with the same " +
			"attributes as one item of `atlasexports_snapshot_exports`'s `results`, its export bucket and full " +
			"`uri` included.",
		Attributes: attributes,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
				ReadDescription: fmt.Sprintf("Time limit of the read, retries included, as a Go duration such as "+
					"`1m` (default `%s`).", durationText(defaultReadTimeout)),
			}),
		},
	}
}

func (d *snapshotExportDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateReadTimeout(ctx, req, resp)
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

	projectID := model.ProjectID.ValueString()
	job, err := d.data.client.GetExportJob(ctx, projectID, model.ClusterName.ValueString(), model.ExportID.ValueString())
	if err != nil {
		d.data.addReadError(ctx, &resp.Diagnostics, "Unable to read the snapshot export job", err)
		return
	}
	var buckets resolvedBuckets
	if resolveBuckets(model.ResolveExportBuckets) {
		buckets, diags = d.data.resolveExportBuckets(ctx, projectID, []atlas.ExportJob{*job})
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	model.exportJobModel = newExportJobModel(job, buckets)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
