package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share about export buckets: their
// attributes, the resolve_export_buckets argument, reading the buckets of
// the jobs kept, a job's uri, and the diagnostics when a bucket cannot be
// read.

// exportBucketAttributes are the attributes of one export bucket, as the
// single job's export_bucket and each value of the list's export_buckets.
func exportBucketAttributes() map[string]schema.Attribute {
	computedString := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return map[string]schema.Attribute{
		"id": computedString("Unique 24-hexadecimal character string that identifies the export bucket " +
			"(the job's `export_bucket_id`)."),
		"bucket_name": computedString("Name of the AWS S3 bucket, the Azure Blob Storage container or the " +
			"Google Cloud Storage bucket."),
		"cloud_provider": computedString("Cloud provider of the bucket: `AWS`, `AZURE` or `GCP`."),
		"region":         computedString("AWS only: region of the S3 bucket, set by Atlas, such as `us-east-1`."),
		"iam_role_id": computedString("AWS only: unique 24-hexadecimal character string that identifies " +
			"the unified AWS access role Atlas uses to write to the bucket."),
		"require_private_networking": schema.BoolAttribute{Computed: true,
			MarkdownDescription: "AWS only: whether Atlas exports over AWS PrivateLink rather than public IPs."},
		"service_url": computedString("Azure only: URL of the storage account, as Atlas stores it, such " +
			"as `https://examplestorageaccount.blob.core.windows.net/examplecontainer` (with or without the " +
			"container)."),
		"role_id": computedString("Azure and GCP: unique 24-hexadecimal character string that identifies " +
			"the cloud provider access role Atlas uses to write to the bucket."),
		"tenant_id": computedString("Azure only: UUID of the Azure Active Directory tenant used during exports."),
	}
}

// bucketsNote ends the description of both data sources' bucket
// attributes.
const bucketsNote = "Attributes of other clouds than `cloud_provider` are null."

func uriAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Computed: true,
		MarkdownDescription: "Full address of the export: `s3://<bucket>/<prefix>` on AWS, `gs://<bucket>/<prefix>` " +
			"on GCP, `https://<account>.blob.core.windows.net/<container>/<prefix>` on Azure, with exactly one `/` " +
			"before the prefix. The prefix is not URL-encoded. Null when the job's export bucket was not read " +
			"(`resolve_export_buckets = false`) or no longer exists, and when the bucket's fields do not make a " +
			"known address form (a warning says why).",
	}
}

// resolveExportBucketsAttribute is resolve_export_buckets, whose description
// names the attribute it fills in and says what it holds when false.
func resolveExportBucketsAttribute(filled, whenFalse string) schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "Read the export bucket of each job (one request per distinct bucket, cached for the " +
			"provider's lifetime) to fill in " + filled + " and `uri`. Defaults to `true`. Set `false` to make no " +
			"bucket requests, for example when the credentials lack the `" + exportBucketRole + "` role " +
			"that reading buckets needs; " + whenFalse + " Buckets of every cloud (AWS, Azure, GCP) are read " +
			"whatever the provider's `api_version`.",
	}
}

// exportBucketModel is an export bucket as Atlas describes it.
type exportBucketModel struct {
	ID                       types.String `tfsdk:"id"`
	BucketName               types.String `tfsdk:"bucket_name"`
	CloudProvider            types.String `tfsdk:"cloud_provider"`
	Region                   types.String `tfsdk:"region"`
	IAMRoleID                types.String `tfsdk:"iam_role_id"`
	RequirePrivateNetworking types.Bool   `tfsdk:"require_private_networking"`
	ServiceURL               types.String `tfsdk:"service_url"`
	RoleID                   types.String `tfsdk:"role_id"`
	TenantID                 types.String `tfsdk:"tenant_id"`
}

func newExportBucketModel(b *atlas.ExportBucket) exportBucketModel {
	return exportBucketModel{
		ID:                       types.StringPointerValue(b.ID),
		BucketName:               types.StringPointerValue(b.BucketName),
		CloudProvider:            types.StringPointerValue(b.CloudProvider),
		Region:                   types.StringPointerValue(b.Region),
		IAMRoleID:                types.StringPointerValue(b.IAMRoleID),
		RequirePrivateNetworking: types.BoolPointerValue(b.RequirePrivateNetworking),
		ServiceURL:               types.StringPointerValue(b.ServiceURL),
		RoleID:                   types.StringPointerValue(b.RoleID),
		TenantID:                 types.StringPointerValue(b.TenantID),
	}
}

// resolvedBucket is an export bucket Atlas has, and the address its jobs'
// uri starts with ("" when the bucket makes no known address).
type resolvedBucket struct {
	bucket   *atlas.ExportBucket
	location string
}

// resolvedBuckets maps bucket IDs to the buckets found; a job whose bucket
// is not in it (not read, or deleted) has neither bucket nor uri.
type resolvedBuckets map[string]resolvedBucket

// models are the buckets as the list's export_buckets holds them: an empty
// map, not null, when there are none.
func (r resolvedBuckets) models() map[string]exportBucketModel {
	models := make(map[string]exportBucketModel, len(r))
	for id, b := range r {
		models[id] = newExportBucketModel(b.bucket)
	}
	return models
}

// model is the bucket of job as the single job's export_bucket holds it,
// nil (null) when it is not known.
func (r resolvedBuckets) model(job *atlas.ExportJob) *exportBucketModel {
	b, ok := r[str(job.ExportBucketID)]
	if !ok {
		return nil
	}
	m := newExportBucketModel(b.bucket)
	return &m
}

// uri is a job's full address; nil when its bucket is unknown or makes no
// known address, or when the job has no prefix.
func (r resolvedBuckets) uri(job *atlas.ExportJob) *string {
	b, ok := r[str(job.ExportBucketID)]
	if !ok || b.location == "" || job.Prefix == nil || *job.Prefix == "" {
		return nil
	}
	uri := atlas.ExportURI(b.location, *job.Prefix)
	return &uri
}

// bucketIDs are the distinct, non-empty bucket IDs of jobs, in order.
func bucketIDs(jobs []atlas.ExportJob) []string {
	var ids []string
	seen := map[string]bool{}
	for i := range jobs {
		if id := jobs[i].ExportBucketID; id != nil && *id != "" && !seen[*id] {
			seen[*id] = true
			ids = append(ids, *id)
		}
	}
	return ids
}

// resolveExportBuckets reads the buckets of jobs, with one warning naming
// every bucket that no longer exists and one per bucket whose address is not
// of a known form. Any other failure is an error: nothing partial is
// returned.
func (d *providerData) resolveExportBuckets(ctx context.Context, projectID string, jobs []atlas.ExportJob,
) (resolvedBuckets, diag.Diagnostics) {
	var diags diag.Diagnostics
	ids := bucketIDs(jobs)
	if len(ids) == 0 {
		return nil, diags
	}
	buckets, err := d.client.GetExportBuckets(ctx, projectID, ids)
	if err != nil {
		d.addBucketReadError(ctx, &diags, err)
		return nil, diags
	}
	if len(buckets.NotFound) > 0 {
		diags.AddWarning("Export buckets not found",
			fmt.Sprintf("Atlas has no export bucket %s (404): deleted since the jobs exported to %s. "+
				"Those jobs have no export bucket and a null uri; their prefix is still Atlas's.",
				strings.Join(buckets.NotFound, ", "), map[bool]string{true: "it", false: "them"}[len(buckets.NotFound) == 1]))
	}
	resolved, locationDiags := locateBuckets(ids, buckets.Found)
	diags.Append(locationDiags...)
	return resolved, diags
}

// locateBuckets finds the address of each bucket found of ids, with one
// warning per bucket whose address is not of a known form.
func locateBuckets(ids []string, found map[string]*atlas.ExportBucket) (resolvedBuckets, diag.Diagnostics) {
	var diags diag.Diagnostics
	resolved := make(resolvedBuckets, len(found))
	for _, id := range ids {
		bucket, ok := found[id]
		if !ok {
			continue
		}
		location, err := atlas.ExportLocation(bucket)
		if err != nil {
			diags.AddWarning("Export URI unknown",
				fmt.Sprintf("The uri of the jobs that exported to bucket %s is null: %v. The bucket's attributes hold what "+
					"Atlas answered; please report the form if Atlas exports to it.", id, err))
		}
		resolved[id] = resolvedBucket{bucket: bucket, location: location}
	}
	return resolved, diags
}

// addBucketReadError is a failed bucket read; the advice (advice.go) says
// how to do without the buckets when the credentials may not read them.
func (d *providerData) addBucketReadError(ctx context.Context, diags *diag.Diagnostics, err error) {
	diags.AddError("Unable to read export buckets", d.readErrorDetail(ctx, err))
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
