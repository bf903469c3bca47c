package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share about export buckets: the
// export_bucket and uri attributes of a job, the resolve_export_buckets
// argument, reading the buckets of the jobs kept, and the diagnostics when a
// bucket cannot be read.

func exportBucketAttributes() map[string]schema.Attribute {
	computedString := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return map[string]schema.Attribute{
		"export_bucket": schema.SingleNestedAttribute{
			Computed: true,
			MarkdownDescription: "The export bucket the job exported to, as Atlas describes it. Null when " +
				"`resolve_export_buckets` is `false`, and for a job whose bucket no longer exists (a warning names " +
				"such buckets). Attributes of other clouds than `cloud_provider` are null.",
			Attributes: map[string]schema.Attribute{
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
			},
		},
		"uri": computedString("Full address of the export: `s3://<bucket>/<prefix>` on AWS, `gs://<bucket>/<prefix>` " +
			"on GCP, `https://<account>.blob.core.windows.net/<container>/<prefix>` on Azure, with exactly one `/` " +
			"before the prefix. The prefix is not URL-encoded. Null when `export_bucket` is null, and when the " +
			"bucket's fields do not make a known address form (a warning says why)."),
	}
}

func resolveExportBucketsAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "Read the export bucket of each job (one request per distinct bucket, cached for the " +
			"provider's lifetime) to fill in `export_bucket` and `uri`. Defaults to `true`. Set `false` to make no " +
			"bucket requests, for example when the credentials lack the `" + atlas.ExportBucketRole + "` role " +
			"that reading buckets needs; `export_bucket` and `uri` are then null. Buckets are read from " +
			"`/api/atlas/v2` with the `" + atlas.MediaTypeBuckets + "` media type whatever the provider's " +
			"`api_version`: the older versions know only AWS buckets.",
	}
}

// resolveExportBucketsArgument is resolve_export_buckets: true when unset.
func resolveExportBucketsArgument(v tftypes.Value) (bool, error) {
	if v.IsNull() {
		return true, nil
	}
	var resolve bool
	if err := v.As(&resolve); err != nil {
		return false, fmt.Errorf("resolve_export_buckets: %w", err)
	}
	return resolve, nil
}

// jobBucket is what a job shows of its export bucket: the export_bucket
// value and the location its uri starts with. The zero value (no bucket) is
// null in both.
type jobBucket struct {
	value    tftypes.Value
	location string // "" when the bucket makes no known address
}

// exportBucketValues maps bucket IDs to what their jobs show; a nil map
// shows nothing.
type exportBucketValues map[string]jobBucket

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

// resolveExportBuckets reads the buckets of jobs and turns them into values, with one warning naming every
// bucket that no longer exists and one per bucket whose address is not of a
// known form. Any other failure is an error: nothing partial is returned.
func (d *providerData) resolveExportBuckets(ctx context.Context, projectID string, jobs []atlas.ExportJob, t jobTypes,
) (exportBucketValues, diag.Diagnostics) {
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
				"Those jobs have a null export_bucket and uri; their prefix is still Atlas's.",
				strings.Join(buckets.NotFound, ", "), map[bool]string{true: "it", false: "them"}[len(buckets.NotFound) == 1]))
	}
	values, valueDiags := t.bucketValues(ids, buckets.Found)
	diags.Append(valueDiags...)
	return values, diags
}

// bucketValues turns the buckets found of ids into what their jobs
// show, with one warning per bucket whose address is not of a known form.
func (t jobTypes) bucketValues(ids []string, found map[string]*atlas.ExportBucket) (exportBucketValues, diag.Diagnostics) {
	var diags diag.Diagnostics
	values := make(exportBucketValues, len(found))
	for _, id := range ids {
		bucket, ok := found[id]
		if !ok {
			continue
		}
		location, err := atlas.ExportLocation(bucket)
		if err != nil {
			diags.AddWarning("Export URI unknown",
				fmt.Sprintf("The uri of the jobs that exported to bucket %s is null: %v. export_bucket holds what Atlas "+
					"answered; please report the form if Atlas exports to it.", id, err))
		}
		values[id] = jobBucket{value: t.exportBucketValue(bucket), location: location}
	}
	return values, diags
}

// addBucketReadError is a failed bucket read: for a refusal, which role
// reads buckets and how to do without them.
func (d *providerData) addBucketReadError(ctx context.Context, diags *diag.Diagnostics, err error) {
	detail := d.readErrorDetail(ctx, err)
	// The 403's advice (atlas.Hint, in detail) already names the role; a 401
	// is the credentials or the access list. Either way, the jobs can still
	// be read without their buckets.
	switch atlas.StatusCode(err) {
	case http.StatusForbidden:
		detail += "\n\nGrant the role to these credentials, or set resolve_export_buckets = false on the data " +
			"source to read the jobs without their buckets (export_bucket and uri are then null)."
	case http.StatusUnauthorized:
		detail += "\n\nAtlas refused the credentials for GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets/" +
			"{exportBucketId}, which needs the " + atlas.ExportBucketRole + " role on the project. Fix the " +
			"credentials or their API access list, or set resolve_export_buckets = false on the data source to read " +
			"the jobs without their buckets (export_bucket and uri are then null)."
	}
	diags.AddError("Unable to read export buckets", detail)
}

func (t jobTypes) exportBucketValue(b *atlas.ExportBucket) tftypes.Value {
	privateNetworking := tftypes.NewValue(tftypes.Bool, nil)
	if b.RequirePrivateNetworking != nil {
		privateNetworking = tftypes.NewValue(tftypes.Bool, *b.RequirePrivateNetworking)
	}
	return tftypes.NewValue(t.exportBucket, map[string]tftypes.Value{
		"id":                         stringValue(b.ID),
		"bucket_name":                stringValue(b.BucketName),
		"cloud_provider":             stringValue(b.CloudProvider),
		"region":                     stringValue(b.Region),
		"iam_role_id":                stringValue(b.IAMRoleID),
		"require_private_networking": privateNetworking,
		"service_url":                stringValue(b.ServiceURL),
		"role_id":                    stringValue(b.RoleID),
		"tenant_id":                  stringValue(b.TenantID),
	})
}

// bucketAttributeValues sets a job's export_bucket and uri.
func (t jobTypes) bucketAttributeValues(job *atlas.ExportJob, buckets exportBucketValues, attrs map[string]tftypes.Value) {
	b, ok := buckets[str(job.ExportBucketID)]
	if !ok {
		attrs["export_bucket"] = tftypes.NewValue(t.exportBucket, nil)
		attrs["uri"] = tftypes.NewValue(tftypes.String, nil)
		return
	}
	attrs["export_bucket"] = b.value
	if b.location == "" || job.Prefix == nil || *job.Prefix == "" {
		attrs["uri"] = tftypes.NewValue(tftypes.String, nil)
		return
	}
	attrs["uri"] = tftypes.NewValue(tftypes.String, atlas.ExportURI(b.location, *job.Prefix))
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
