package provider

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds what both data sources share: the attributes of one
// export job, its model, and its conversion to Terraform values.

// exportJobAttributes are the attributes of one export job: every field of
// the API's DiskBackupExportJob but links (empty in every list answer Atlas
// has given), in snake_case, the time of the snapshot it exports, and its
// full address.
func exportJobAttributes() map[string]schema.Attribute {
	computedString := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return map[string]schema.Attribute{
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
		"snapshot_created_at": computedString("When Atlas took the snapshot that the job exports, in RFC 3339 " +
			"format in UTC, to the minute (for example `2026-08-10T03:27:00Z`): the snapshot date of the `prefix`, " +
			"which Atlas writes as `2026-08-10T0327` or `2021-03-25T1649+0000`. An export of an old snapshot " +
			"made today has today's `created_at` and the old snapshot's `snapshot_created_at`. Null when the " +
			"prefix does not have that shape."),
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
				"error_code": computedString("Atlas's error code for the state."),
				"message":    computedString("Human-readable explanation of the state."),
			},
		},
		"uri": uriAttribute(),
	}
}

// exportJobModel is one export job: the single-job data source's own
// attributes. The list's results are built as Terraform values instead
// (jobTypes, below), from the same job, with the same values.
type exportJobModel struct {
	ID                types.String       `tfsdk:"id"`
	SnapshotID        types.String       `tfsdk:"snapshot_id"`
	ExportBucketID    types.String       `tfsdk:"export_bucket_id"`
	State             types.String       `tfsdk:"state"`
	CreatedAt         types.String       `tfsdk:"created_at"`
	FinishedAt        types.String       `tfsdk:"finished_at"`
	Prefix            types.String       `tfsdk:"prefix"`
	SnapshotCreatedAt types.String       `tfsdk:"snapshot_created_at"`
	Components        []componentModel   `tfsdk:"components"`
	CustomData        []labelModel       `tfsdk:"custom_data"`
	ExportStatus      *exportStatusModel `tfsdk:"export_status"`
	StateReason       *stateReasonModel  `tfsdk:"state_reason"`
	URI               types.String       `tfsdk:"uri"`
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

// newExportJobModel is job as the model holds it, its uri from buckets: a
// field Atlas leaves out is null, a list it leaves out empty.
func newExportJobModel(job *atlas.ExportJob, buckets resolvedBuckets) exportJobModel {
	m := exportJobModel{
		ID:                types.StringPointerValue(job.ID),
		SnapshotID:        types.StringPointerValue(job.SnapshotID),
		ExportBucketID:    types.StringPointerValue(job.ExportBucketID),
		State:             types.StringPointerValue(job.State),
		CreatedAt:         types.StringPointerValue(job.CreatedAt),
		FinishedAt:        types.StringPointerValue(job.FinishedAt),
		Prefix:            types.StringPointerValue(job.Prefix),
		SnapshotCreatedAt: types.StringPointerValue(snapshotCreatedAt(job)),
		Components:        make([]componentModel, len(job.Components)),
		CustomData:        make([]labelModel, len(job.CustomData)),
		URI:               types.StringPointerValue(buckets.uri(job)),
	}
	for i, c := range job.Components {
		m.Components[i] = componentModel{types.StringPointerValue(c.ExportID), types.StringPointerValue(c.ReplicaSetName)}
	}
	for i, l := range job.CustomData {
		m.CustomData[i] = labelModel{types.StringPointerValue(l.Key), types.StringPointerValue(l.Value)}
	}
	if s := job.ExportStatus; s != nil {
		m.ExportStatus = &exportStatusModel{types.Int64PointerValue(s.ExportedCollections), types.Int64PointerValue(s.TotalCollections)}
	}
	if r := job.StateReason; r != nil {
		m.StateReason = &stateReasonModel{types.StringPointerValue(r.ErrorCode), types.StringPointerValue(r.Message)}
	}
	return m
}

// snapshotCreatedAt is the time of the snapshot job exports, from its
// prefix, in RFC 3339 to the minute; nil when the prefix does not say.
func snapshotCreatedAt(job *atlas.ExportJob) *string {
	t, ok := atlas.SnapshotCreatedAt(str(job.Prefix))
	if !ok {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

// jobTypes holds the Terraform types of an export job and its parts, taken
// from the schema itself so that values and schema cannot drift apart.
type jobTypes struct {
	job                       tftypes.Object
	components, customData    tftypes.List
	component, label          tftypes.Object
	exportStatus, stateReason tftypes.Object
}

func newJobTypes(job tftypes.Object) (jobTypes, error) {
	t := jobTypes{job: job}
	var ok [6]bool
	t.components, ok[0] = job.AttributeTypes["components"].(tftypes.List)
	t.customData, ok[1] = job.AttributeTypes["custom_data"].(tftypes.List)
	t.exportStatus, ok[2] = job.AttributeTypes["export_status"].(tftypes.Object)
	t.stateReason, ok[3] = job.AttributeTypes["state_reason"].(tftypes.Object)
	t.component, ok[4] = t.components.ElementType.(tftypes.Object)
	t.label, ok[5] = t.customData.ElementType.(tftypes.Object)
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
	return tftypes.NewValue(t.job, map[string]tftypes.Value{
		"id":                  stringValue(job.ID),
		"snapshot_id":         stringValue(job.SnapshotID),
		"export_bucket_id":    stringValue(job.ExportBucketID),
		"state":               stringValue(job.State),
		"created_at":          stringValue(job.CreatedAt),
		"finished_at":         stringValue(job.FinishedAt),
		"prefix":              stringValue(job.Prefix),
		"snapshot_created_at": stringValue(snapshotCreatedAt(job)),
		"components":          tftypes.NewValue(t.components, components),
		"custom_data":         tftypes.NewValue(t.customData, labels),
		"export_status":       exportStatus,
		"state_reason":        stateReason,
		"uri":                 stringValue(buckets.uri(job)),
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
