package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

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

// snapshotExportArguments are the arguments of the data source; the job's
// attributes are built as tftypes values (see export_job.go).
type snapshotExportArguments struct {
	readArguments
	exportID string
}

func snapshotExportArgumentsFrom(config tftypes.Value) (snapshotExportArguments, error) {
	var args snapshotExportArguments
	shared, attrs, err := readArgumentsFrom(config)
	if err != nil {
		return args, err
	}
	args.readArguments = shared
	if err := attrs["export_id"].As(&args.exportID); err != nil {
		return args, fmt.Errorf("export_id: %w", err)
	}
	return args, nil
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
	args, err := snapshotExportArgumentsFrom(req.Config.Raw)
	if err != nil {
		addBugError(&resp.Diagnostics, "Unable to read the data source's configuration", err)
		return
	}
	ctx, cancel, diags := d.data.readContext(ctx, args.readTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	defer cancel()

	job, err := d.data.client.GetExportJob(ctx, args.projectID, args.clusterName, args.exportID)
	if err != nil {
		d.data.addReadError(ctx, &resp.Diagnostics, "Unable to read the snapshot export job", err)
		return
	}
	jobTypes, err := snapshotExportJobTypes(req.Config.Raw)
	if err != nil {
		addBugError(&resp.Diagnostics, "Unable to build the data source's state", err)
		return
	}
	var buckets exportBucketValues
	if args.resolveBuckets {
		var bucketDiags diag.Diagnostics
		buckets, bucketDiags = d.data.resolveExportBuckets(ctx, args.projectID, []atlas.ExportJob{*job}, jobTypes)
		resp.Diagnostics.Append(bucketDiags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	raw, err := snapshotExportState(req.Config.Raw, jobTypes, job, buckets)
	if err != nil {
		addBugError(&resp.Diagnostics, "Unable to build the data source's state", err)
		return
	}
	resp.State.Raw = raw
}

// snapshotExportJobTypes are the types of the job: the job attributes of this
// schema are exportJobAttributes, so its object type serves as the job type.
func snapshotExportJobTypes(config tftypes.Value) (jobTypes, error) {
	stateType, ok := config.Type().(tftypes.Object)
	if !ok {
		return jobTypes{}, errors.New("configuration is not an object")
	}
	return newJobTypes(stateType)
}

// snapshotExportState is the configuration with the job's attributes filled in.
func snapshotExportState(config tftypes.Value, jobTypes jobTypes, job *atlas.ExportJob, buckets exportBucketValues) (tftypes.Value, error) {
	attrs, err := configAttributes(config)
	if err != nil {
		return tftypes.Value{}, err
	}
	jobTypes.jobAttributeValues(job, buckets, attrs)
	return tftypes.NewValue(config.Type(), attrs), nil
}
