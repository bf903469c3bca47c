package provider

// Benchmarks of the snapshot_exports data source's work after the client
// has read the jobs. `make bench` runs them (scripts/bench.sh) and
// BENCHMARKS.md explains the numbers; `go test` without -bench runs none.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The models below mirror the data source's schema for the framework's
// reflection (tfsdk.State.Set), the way most framework providers set state.
// They are the baseline the tftypes conversion of export_job.go is measured
// against; the benchmark checks that both build the same state.

type benchExportsModel struct {
	ProjectID   types.String    `tfsdk:"project_id"`
	ClusterName types.String    `tfsdk:"cluster_name"`
	States      types.Set       `tfsdk:"states"`
	Limit       types.Int64     `tfsdk:"limit"`
	Resolve     types.Bool      `tfsdk:"resolve_export_buckets"`
	TotalCount  types.Int64     `tfsdk:"total_count"`
	Results     []benchJobModel `tfsdk:"results"`
	Timeouts    timeouts.Value  `tfsdk:"timeouts"`
}

type benchJobModel struct {
	ID             types.String            `tfsdk:"id"`
	SnapshotID     types.String            `tfsdk:"snapshot_id"`
	ExportBucketID types.String            `tfsdk:"export_bucket_id"`
	State          types.String            `tfsdk:"state"`
	CreatedAt      types.String            `tfsdk:"created_at"`
	FinishedAt     types.String            `tfsdk:"finished_at"`
	Prefix         types.String            `tfsdk:"prefix"`
	Components     []benchComponentModel   `tfsdk:"components"`
	CustomData     []benchLabelModel       `tfsdk:"custom_data"`
	ExportStatus   *benchExportStatusModel `tfsdk:"export_status"`
	StateReason    *benchStateReasonModel  `tfsdk:"state_reason"`
	Links          []benchLinkModel        `tfsdk:"links"`
	ExportBucket   *benchExportBucketModel `tfsdk:"export_bucket"`
	URI            types.String            `tfsdk:"uri"`
}

type benchExportBucketModel struct {
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

// benchBuckets are the seeded export buckets, which the generated jobs
// cycle through, as the client decodes them.
func benchBuckets(b *testing.B) map[string]*atlas.ExportBucket {
	b.Helper()
	out := map[string]*atlas.ExportBucket{}
	for _, raw := range sandbox.SeededExportBuckets() {
		body, err := json.Marshal(raw)
		if err != nil {
			b.Fatal(err)
		}
		var bucket atlas.ExportBucket
		if err := json.Unmarshal(body, &bucket); err != nil {
			b.Fatal(err)
		}
		out[*bucket.ID] = &bucket
	}
	return out
}

type benchComponentModel struct {
	ExportID       types.String `tfsdk:"export_id"`
	ReplicaSetName types.String `tfsdk:"replica_set_name"`
}

type benchLabelModel struct {
	Key   types.String `tfsdk:"key"`
	Value types.String `tfsdk:"value"`
}

type benchExportStatusModel struct {
	ExportedCollections types.Int64 `tfsdk:"exported_collections"`
	TotalCollections    types.Int64 `tfsdk:"total_collections"`
}

type benchStateReasonModel struct {
	ErrorCode types.String `tfsdk:"error_code"`
	Message   types.String `tfsdk:"message"`
}

type benchLinkModel struct {
	Href types.String `tfsdk:"href"`
	Rel  types.String `tfsdk:"rel"`
}

// benchJobModels maps jobs to the models, as a reflection-based Read would:
// empty lists, not null ones, for missing lists.
func benchJobModels(jobs []atlas.ExportJob, buckets map[string]*atlas.ExportBucket) []benchJobModel {
	models := make([]benchJobModel, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		m := benchJobModel{
			ID:             types.StringPointerValue(j.ID),
			SnapshotID:     types.StringPointerValue(j.SnapshotID),
			ExportBucketID: types.StringPointerValue(j.ExportBucketID),
			State:          types.StringPointerValue(j.State),
			CreatedAt:      types.StringPointerValue(j.CreatedAt),
			FinishedAt:     types.StringPointerValue(j.FinishedAt),
			Prefix:         types.StringPointerValue(j.Prefix),
			Components:     make([]benchComponentModel, len(j.Components)),
			CustomData:     make([]benchLabelModel, len(j.CustomData)),
			Links:          make([]benchLinkModel, len(j.Links)),
		}
		for k, c := range j.Components {
			m.Components[k] = benchComponentModel{types.StringPointerValue(c.ExportID), types.StringPointerValue(c.ReplicaSetName)}
		}
		for k, l := range j.CustomData {
			m.CustomData[k] = benchLabelModel{types.StringPointerValue(l.Key), types.StringPointerValue(l.Value)}
		}
		for k, l := range j.Links {
			m.Links[k] = benchLinkModel{types.StringPointerValue(l.Href), types.StringPointerValue(l.Rel)}
		}
		if s := j.ExportStatus; s != nil {
			m.ExportStatus = &benchExportStatusModel{types.Int64PointerValue(s.ExportedCollections), types.Int64PointerValue(s.TotalCollections)}
		}
		if r := j.StateReason; r != nil {
			m.StateReason = &benchStateReasonModel{types.StringPointerValue(r.ErrorCode), types.StringPointerValue(r.Message)}
		}
		m.URI = types.StringNull()
		if bucket, ok := buckets[*j.ExportBucketID]; ok {
			m.ExportBucket = &benchExportBucketModel{
				types.StringPointerValue(bucket.ID), types.StringPointerValue(bucket.BucketName), types.StringPointerValue(bucket.CloudProvider),
				types.StringPointerValue(bucket.Region), types.StringPointerValue(bucket.IAMRoleID), types.BoolPointerValue(bucket.RequirePrivateNetworking),
				types.StringPointerValue(bucket.ServiceURL), types.StringPointerValue(bucket.RoleID), types.StringPointerValue(bucket.TenantID),
			}
			if location, err := atlas.ExportLocation(bucket); err == nil {
				m.URI = types.StringValue(atlas.ExportURI(location, *j.Prefix))
			}
		}
		models[i] = m
	}
	return models
}

// benchJobs are n generated jobs as the client decodes them.
func benchJobs(b *testing.B, n int) []atlas.ExportJob {
	b.Helper()
	body, err := json.Marshal(sandbox.GenerateJobs(sandbox.ClusterGenerated, n, 1))
	if err != nil {
		b.Fatal(err)
	}
	var jobs []atlas.ExportJob
	if err := json.Unmarshal(body, &jobs); err != nil {
		b.Fatal(err)
	}
	return jobs
}

// benchExportsConfig is the data source's schema and a configuration that
// sets project_id and cluster_name, as Terraform sends it to Read.
func benchExportsConfig(b *testing.B) tfsdk.Config {
	b.Helper()
	ctx := context.Background()
	var resp datasource.SchemaResponse
	NewSnapshotExportsDataSource().Schema(ctx, datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		b.Fatal(resp.Diagnostics)
	}
	objectType, ok := resp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		b.Fatal("the schema is not an object")
	}
	return tfsdk.Config{Schema: resp.Schema, Raw: configValue(objectType, map[string]tftypes.Value{
		"project_id":   tftypes.NewValue(tftypes.String, sandbox.ProjectID),
		"cluster_name": tftypes.NewValue(tftypes.String, sandbox.ClusterGenerated),
	})}
}

// reflectionState builds the state the way most framework providers do:
// the configuration into a model, the jobs into nested model structs, then
// tfsdk.State.Set.
func reflectionState(ctx context.Context, config tfsdk.Config, jobs []atlas.ExportJob, buckets map[string]*atlas.ExportBucket) (tftypes.Value, error) {
	var model benchExportsModel
	if diags := config.Get(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	model.TotalCount = types.Int64Value(int64(len(jobs)))
	model.Results = benchJobModels(jobs, buckets)
	state := tfsdk.State{Schema: config.Schema}
	if diags := state.Set(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	return state.Raw, nil
}

// BenchmarkResultsToState converts the jobs of one read to the data source's
// state, with the framework's reflection and with snapshotExportsState, side
// by side.
func BenchmarkResultsToState(b *testing.B) {
	ctx := context.Background()
	config := benchExportsConfig(b)
	buckets := benchBuckets(b)
	jobTypes, err := exportsJobTypes(config.Raw)
	if err != nil {
		b.Fatal(err)
	}
	// As a read builds them: each bucket's value and location once.
	values, diags := jobTypes.bucketValues(slices.Sorted(maps.Keys(buckets)), buckets)
	if diags.HasError() {
		b.Fatal(diags)
	}
	ways := []struct {
		name  string
		state func([]atlas.ExportJob) (tftypes.Value, error)
	}{
		{"reflection", func(jobs []atlas.ExportJob) (tftypes.Value, error) {
			return reflectionState(ctx, config, jobs, buckets)
		}},
		{"tftypes", func(jobs []atlas.ExportJob) (tftypes.Value, error) {
			return snapshotExportsState(ctx, config.Raw, jobTypes, jobs, len(jobs), values)
		}},
	}
	for _, n := range []int{1000, 10000} {
		jobs := benchJobs(b, n)
		want, err := ways[0].state(jobs)
		if err != nil {
			b.Fatal(err)
		}
		for _, way := range ways {
			got, err := way.state(jobs)
			if err != nil {
				b.Fatal(err)
			}
			if !got.Equal(want) {
				b.Fatalf("%s builds a different state than reflection", way.name)
			}
			b.Run(fmt.Sprintf("jobs=%d/%s", n, way.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := way.state(jobs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkReadDataSource reads the jobs of a cluster from the sandbox (no
// latency) three ways, side by side: read is the data source's Read alone, as the
// framework calls it; read+msgpack adds the encoding of its state for the
// wire, the least any ReadDataSource must do; rpc is the provider's whole
// ReadDataSource call through the framework's protocol 6 server, the one
// main.go serves (configuration in, msgpack state out), which adds the
// framework's own work after Read. rpc is the provider's share of a plan,
// without the gRPC hop and without logging.
//
// Each runs with 10,000 jobs and with 100, a plan that keeps only the newest
// jobs: the framework's work after Read grows with the state.
func BenchmarkReadDataSource(b *testing.B) {
	for _, jobs := range []int{100, 10000} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) { benchmarkReadDataSource(b, jobs) })
	}
}

func benchmarkReadDataSource(b *testing.B, jobs int) {
	ctx := context.Background()
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.SetJobs(sandbox.ProjectID, sandbox.ClusterGenerated, sandbox.GenerateJobs(sandbox.ClusterGenerated, jobs, 1))
	sbx.SetExportBuckets(sandbox.ProjectID, sandbox.SeededExportBuckets()...)
	srv := httptest.NewServer(sbx)
	b.Cleanup(srv.Close)

	for _, encode := range []bool{false, true} {
		name := "read"
		if encode {
			name = "read+msgpack"
		}
		b.Run(name, func(b *testing.B) {
			client, err := atlas.New(atlas.Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey})
			if err != nil {
				b.Fatal(err)
			}
			dataSource := &snapshotExportsDataSource{data: &providerData{client: client}}
			config := benchExportsConfig(b)
			b.ReportAllocs()
			for b.Loop() {
				resp := datasource.ReadResponse{State: tfsdk.State{Schema: config.Schema, Raw: config.Raw.Copy()}}
				dataSource.Read(ctx, datasource.ReadRequest{Config: config}, &resp)
				if resp.Diagnostics.HasError() {
					b.Fatal(resp.Diagnostics)
				}
				if encode {
					if _, err := tfprotov6.NewDynamicValue(resp.State.Raw.Type(), resp.State.Raw); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}

	// The whole ReadDataSource call, as main.go serves it.
	b.Run("rpc", func(b *testing.B) {
		server, schemas := configuredServer(b, srv.URL)
		dataSourceConfig := dynamicValue(b, schemas.DataSourceSchemas["atlasexports_snapshot_exports"], map[string]tftypes.Value{
			"project_id":   tftypes.NewValue(tftypes.String, sandbox.ProjectID),
			"cluster_name": tftypes.NewValue(tftypes.String, sandbox.ClusterGenerated),
		})
		b.ReportAllocs()
		for b.Loop() {
			resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{
				TypeName: "atlasexports_snapshot_exports", Config: dataSourceConfig,
			})
			if err != nil || len(resp.Diagnostics) > 0 {
				b.Fatalf("reading: %v %v", err, resp.Diagnostics)
			}
			b.ReportMetric(float64(len(resp.State.MsgPack)), "state-bytes")
		}
	})
}
