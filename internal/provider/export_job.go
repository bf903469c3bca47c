package provider

import (
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share: the attributes of one
// export job, and its conversion to Terraform values.

// exportJobAttributes are the attributes of one export job: every field of
// the API's DiskBackupExportJob, in snake_case, and its export bucket.
func exportJobAttributes() map[string]schema.Attribute {
	computedString := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	attributes := map[string]schema.Attribute{
		"id": computedString("Unique 24-hexadecimal character string that identifies the export job."),
		"snapshot_id": computedString("Unique 24-hexadecimal character string that identifies the exported " +
			"snapshot. Null when Atlas leaves it out."),
		"export_bucket_id": computedString("Unique 24-hexadecimal character string that identifies the export " +
			"bucket the snapshot is exported to."),
		"state": computedString("State of the export job: `Queued`, `InProgress`, `Successful`, `Failed` or " +
			"`Cancelled`. A state Atlas adds later is passed through unchanged."),
		"created_at": computedString("Date and time when the export job was created, in ISO 8601 format in UTC " +
			"(for example `2026-05-18T17:14:19Z`)."),
		"finished_at": computedString("Date and time when the export job ended, in ISO 8601 format in UTC. " +
			"Null until the job ends."),
		"prefix": computedString("Prefix of every object the export job uploads to the bucket, as Atlas " +
			"reports it: `exported_snapshots/{ORG-ID}/{PROJECT-ID}/{CLUSTER-NAME}/{SNAPSHOT-INITIATION-DATE}/{TIMESTAMP}`, " +
			"with no leading slash. For a sharded cluster, each shard's data lies under this prefix."),
		"components": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "The per-shard exports of a sharded cluster's export job, one per replica set. " +
				"An empty list for a replica set cluster.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"export_id": computedString("Unique 24-hexadecimal character string that identifies the " +
					"export of this shard."),
				"replica_set_name": computedString("Name of the shard's replica set, such as `atlas-abc123-shard-0`."),
			}},
		},
		"custom_data": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "Key-value pairs that Atlas writes into the metadata file it uploads when the " +
				"export job finishes. An empty list when there are none.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"key":   computedString("Key of the pair."),
				"value": computedString("Value of the pair."),
			}},
		},
		"export_status": schema.SingleNestedAttribute{
			Computed:            true,
			MarkdownDescription: "Progress of the export job, counted in collections. Null when Atlas leaves it out.",
			Attributes: map[string]schema.Attribute{
				"exported_collections": schema.Int64Attribute{Computed: true,
					MarkdownDescription: "Number of collections exported to the bucket so far."},
				"total_collections": schema.Int64Attribute{Computed: true,
					MarkdownDescription: "Number of collections the export job exports in all."},
			},
		},
		"state_reason": schema.SingleNestedAttribute{
			Computed: true,
			MarkdownDescription: "Why the export job is in its state; Atlas sets it when a job fails. Null when " +
				"Atlas leaves it out.",
			Attributes: map[string]schema.Attribute{
				"error_code": computedString("Atlas's error code for the state, such as `EXPORT_FAILED`."),
				"message":    computedString("Human-readable explanation of the state."),
			},
		},
		"links": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "Web links (RFC 5988) Atlas attaches to the export job. An empty list when " +
				"Atlas sends none, as it does in list answers.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"href": computedString("URL of the linked resource."),
				"rel":  computedString("Relation of the link, such as `self`."),
			}},
		},
	}
	maps.Copy(attributes, exportBucketAttributes())
	return attributes
}

// exportJobModel is one export job: the single-job data source's own
// attributes. The list's results are built as Terraform values instead
// (jobTypes, below), from the same job, with the same values.
type exportJobModel struct {
	ID             types.String       `tfsdk:"id"`
	SnapshotID     types.String       `tfsdk:"snapshot_id"`
	ExportBucketID types.String       `tfsdk:"export_bucket_id"`
	State          types.String       `tfsdk:"state"`
	CreatedAt      types.String       `tfsdk:"created_at"`
	FinishedAt     types.String       `tfsdk:"finished_at"`
	Prefix         types.String       `tfsdk:"prefix"`
	Components     []componentModel   `tfsdk:"components"`
	CustomData     []labelModel       `tfsdk:"custom_data"`
	ExportStatus   *exportStatusModel `tfsdk:"export_status"`
	StateReason    *stateReasonModel  `tfsdk:"state_reason"`
	Links          []linkModel        `tfsdk:"links"`
	ExportBucket   *exportBucketModel `tfsdk:"export_bucket"`
	URI            types.String       `tfsdk:"uri"`
}

type componentModel struct {
	ExportID       types.String `tfsdk:"export_id"`
	ReplicaSetName types.String `tfsdk:"replica_set_name"`
}

type labelModel struct {
	Key   types.String `tfsdk:"key"`
	Value types.String `tfsdk:"value"`
}

type exportStatusModel struct {
	ExportedCollections types.Int64 `tfsdk:"exported_collections"`
	TotalCollections    types.Int64 `tfsdk:"total_collections"`
}

type stateReasonModel struct {
	ErrorCode types.String `tfsdk:"error_code"`
	Message   types.String `tfsdk:"message"`
}

type linkModel struct {
	Href types.String `tfsdk:"href"`
	Rel  types.String `tfsdk:"rel"`
}

// newExportJobModel is job as the model holds it, its export bucket taken
// from buckets: a field Atlas leaves out is null, a list it leaves out
// empty.
func newExportJobModel(job *atlas.ExportJob, buckets resolvedBuckets) exportJobModel {
	m := exportJobModel{
		ID:             types.StringPointerValue(job.ID),
		SnapshotID:     types.StringPointerValue(job.SnapshotID),
		ExportBucketID: types.StringPointerValue(job.ExportBucketID),
		State:          types.StringPointerValue(job.State),
		CreatedAt:      types.StringPointerValue(job.CreatedAt),
		FinishedAt:     types.StringPointerValue(job.FinishedAt),
		Prefix:         types.StringPointerValue(job.Prefix),
		Components:     make([]componentModel, len(job.Components)),
		CustomData:     make([]labelModel, len(job.CustomData)),
		Links:          make([]linkModel, len(job.Links)),
		URI:            types.StringPointerValue(buckets.uri(job)),
	}
	for i, c := range job.Components {
		m.Components[i] = componentModel{types.StringPointerValue(c.ExportID), types.StringPointerValue(c.ReplicaSetName)}
	}
	for i, l := range job.CustomData {
		m.CustomData[i] = labelModel{types.StringPointerValue(l.Key), types.StringPointerValue(l.Value)}
	}
	for i, l := range job.Links {
		m.Links[i] = linkModel{types.StringPointerValue(l.Href), types.StringPointerValue(l.Rel)}
	}
	if s := job.ExportStatus; s != nil {
		m.ExportStatus = &exportStatusModel{types.Int64PointerValue(s.ExportedCollections), types.Int64PointerValue(s.TotalCollections)}
	}
	if r := job.StateReason; r != nil {
		m.StateReason = &stateReasonModel{types.StringPointerValue(r.ErrorCode), types.StringPointerValue(r.Message)}
	}
	if b, ok := buckets[str(job.ExportBucketID)]; ok {
		m.ExportBucket = newExportBucketModel(b.bucket)
	}
	return m
}

// jobTypes holds the Terraform types of an export job and its parts, taken
// from the schema itself so that values and schema cannot drift apart.
type jobTypes struct {
	job                           tftypes.Object
	components, customData, links tftypes.List
	component, label, link        tftypes.Object
	exportStatus, stateReason     tftypes.Object
	exportBucket                  tftypes.Object
}

func newJobTypes(job tftypes.Object) (jobTypes, error) {
	t := jobTypes{job: job}
	var ok [9]bool
	t.components, ok[0] = job.AttributeTypes["components"].(tftypes.List)
	t.customData, ok[1] = job.AttributeTypes["custom_data"].(tftypes.List)
	t.links, ok[2] = job.AttributeTypes["links"].(tftypes.List)
	t.exportStatus, ok[3] = job.AttributeTypes["export_status"].(tftypes.Object)
	t.stateReason, ok[4] = job.AttributeTypes["state_reason"].(tftypes.Object)
	t.component, ok[5] = t.components.ElementType.(tftypes.Object)
	t.label, ok[6] = t.customData.ElementType.(tftypes.Object)
	t.link, ok[7] = t.links.ElementType.(tftypes.Object)
	t.exportBucket, ok[8] = job.AttributeTypes["export_bucket"].(tftypes.Object)
	for _, good := range ok {
		if !good {
			return jobTypes{}, fmt.Errorf("export job schema has unexpected types: %s", job)
		}
	}
	return t, nil
}

// The list's results are built as tftypes values directly: the framework's
// reflection (State.Set on the models above) walks every value of a large
// result several times over and dominates a long list's read
// (BENCHMARKS.md, "Results to Terraform values").

// jobValue is one export job as a Terraform object value, with the same
// values as newExportJobModel.
func (t jobTypes) jobValue(job *atlas.ExportJob, buckets resolvedBuckets) tftypes.Value {
	components := make([]tftypes.Value, len(job.Components))
	for i, c := range job.Components {
		components[i] = tftypes.NewValue(t.component, map[string]tftypes.Value{
			"export_id":        stringValue(c.ExportID),
			"replica_set_name": stringValue(c.ReplicaSetName),
		})
	}
	labels := make([]tftypes.Value, len(job.CustomData))
	for i, l := range job.CustomData {
		labels[i] = tftypes.NewValue(t.label, map[string]tftypes.Value{"key": stringValue(l.Key), "value": stringValue(l.Value)})
	}
	links := make([]tftypes.Value, len(job.Links))
	for i, l := range job.Links {
		links[i] = tftypes.NewValue(t.link, map[string]tftypes.Value{"href": stringValue(l.Href), "rel": stringValue(l.Rel)})
	}
	exportStatus := tftypes.NewValue(t.exportStatus, nil)
	if s := job.ExportStatus; s != nil {
		exportStatus = tftypes.NewValue(t.exportStatus, map[string]tftypes.Value{
			"exported_collections": numberValue(s.ExportedCollections),
			"total_collections":    numberValue(s.TotalCollections),
		})
	}
	stateReason := tftypes.NewValue(t.stateReason, nil)
	if r := job.StateReason; r != nil {
		stateReason = tftypes.NewValue(t.stateReason, map[string]tftypes.Value{
			"error_code": stringValue(r.ErrorCode),
			"message":    stringValue(r.Message),
		})
	}
	exportBucket := tftypes.NewValue(t.exportBucket, nil)
	if b, ok := buckets[str(job.ExportBucketID)]; ok {
		exportBucket = t.exportBucketValue(b.bucket)
	}
	return tftypes.NewValue(t.job, map[string]tftypes.Value{
		"id":               stringValue(job.ID),
		"snapshot_id":      stringValue(job.SnapshotID),
		"export_bucket_id": stringValue(job.ExportBucketID),
		"state":            stringValue(job.State),
		"created_at":       stringValue(job.CreatedAt),
		"finished_at":      stringValue(job.FinishedAt),
		"prefix":           stringValue(job.Prefix),
		"components":       tftypes.NewValue(t.components, components),
		"custom_data":      tftypes.NewValue(t.customData, labels),
		"links":            tftypes.NewValue(t.links, links),
		"export_status":    exportStatus,
		"state_reason":     stateReason,
		"export_bucket":    exportBucket,
		"uri":              stringValue(buckets.uri(job)),
	})
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

func stringValue(s *string) tftypes.Value {
	if s == nil {
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, *s)
}

func numberValue(n *int64) tftypes.Value {
	if n == nil {
		return tftypes.NewValue(tftypes.Number, nil)
	}
	return tftypes.NewValue(tftypes.Number, *n)
}
