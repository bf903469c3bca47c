package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

func ptr[T any](v T) *T { return &v }

// The results built as Terraform values hold exactly what the framework's
// reflection builds from the models (newExportJobModel, the single-job data
// source's way): every field Atlas sends or leaves out, each kind of bucket,
// a deleted one.
func TestResults_sameAsModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	config := benchExportsConfig(t)
	found := benchBuckets(t)
	buckets, diags := locateBuckets(slices.Sorted(maps.Keys(found)), found)
	if diags.HasError() {
		t.Fatal(diags)
	}
	jobs := append(benchJobs(t, 300),
		atlas.ExportJob{}, // every field left out
		atlas.ExportJob{
			ID: ptr("64b7e30ac1d2a3b4c5d6e001"), ExportBucketID: ptr(sandbox.BucketDeleted), State: ptr("Failed"),
			Prefix:       ptr("/exported_snapshots/o/p/c/2021-03-25T1649+0000/1616694179"),
			Components:   []atlas.Component{{ExportID: ptr("64b7e30ac1d2a3b4c5d6e002")}, {ReplicaSetName: ptr("rs-1")}},
			CustomData:   []atlas.Label{{Key: ptr("k")}, {Value: ptr("v")}},
			ExportStatus: &atlas.ExportStatus{TotalCollections: ptr(int64(3))},
			StateReason:  &atlas.StateReason{ErrorCode: ptr("EXPORT_FAILED")},
		},
		atlas.ExportJob{
			ID: ptr("64b7e30ac1d2a3b4c5d6e004"), ExportBucketID: ptr(sandbox.BucketAWS), State: ptr("Successful"),
			Prefix: ptr("exported_snapshots/o/p/c/latest/1616694179"), // no snapshot time
		},
		atlas.ExportJob{ID: ptr("64b7e30ac1d2a3b4c5d6e003"), ExportBucketID: ptr(sandbox.BucketAzure), Prefix: ptr("")},
	)
	want, err := reflectionState(ctx, config, jobs, buckets)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tftypesState(ctx, config, jobs, buckets)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		diffs, err := got.Diff(want)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs[:min(len(diffs), 10)] {
			t.Errorf("at %s: %v, the models give %v", d.Path, d.Value1, d.Value2)
		}
	}
}
