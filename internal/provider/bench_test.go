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

// benchExportsModel is snapshotExportsModel with its results as models, for
// the framework's reflection (tfsdk.State.Set), the way most framework
// providers set state. It is the baseline the tftypes conversion of
// export_job.go is measured against; the benchmark checks that both build
// the same state.
type benchExportsModel struct {
	ProjectID            types.String                 `tfsdk:"project_id"`
	ClusterName          types.String                 `tfsdk:"cluster_name"`
	States               types.Set                    `tfsdk:"states"`
	OrderBy              types.String                 `tfsdk:"order_by"`
	Limit                types.Int64                  `tfsdk:"limit"`
	ResolveExportBuckets types.Bool                   `tfsdk:"resolve_export_buckets"`
	Timeouts             timeouts.Value               `tfsdk:"timeouts"`
	TotalCount           types.Int64                  `tfsdk:"total_count"`
	ExportBuckets        map[string]exportBucketModel `tfsdk:"export_buckets"`
	Results              []exportJobModel             `tfsdk:"results"`
}

// benchBuckets are the seeded export buckets, which the generated jobs
// cycle through, as the client decodes them.
func benchBuckets(b testing.TB) map[string]*atlas.ExportBucket {
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

// benchJobs are n generated jobs as the client decodes them.
func benchJobs(b testing.TB, n int) []atlas.ExportJob {
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
func benchExportsConfig(b testing.TB) tfsdk.Config {
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
func reflectionState(ctx context.Context, config tfsdk.Config, jobs []atlas.ExportJob, buckets resolvedBuckets) (tftypes.Value, error) {
	var model benchExportsModel
	if diags := config.Get(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	model.TotalCount = types.Int64Value(int64(len(jobs)))
	model.ExportBuckets = buckets.models()
	model.Results = make([]exportJobModel, len(jobs))
	for i := range jobs {
		model.Results[i] = newExportJobModel(&jobs[i], buckets)
	}
	state := tfsdk.State{Schema: config.Schema}
	if diags := state.Set(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	return state.Raw, nil
}

// tftypesState builds the state as the data source's Read does: the model
// through tfsdk.State.Set, then the results as Terraform values.
func tftypesState(ctx context.Context, config tfsdk.Config, jobs []atlas.ExportJob, buckets resolvedBuckets) (tftypes.Value, error) {
	var model snapshotExportsModel
	if diags := config.Get(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	model.TotalCount = types.Int64Value(int64(len(jobs)))
	model.ExportBuckets = buckets.models()
	state := tfsdk.State{Schema: config.Schema}
	if diags := state.Set(ctx, &model); diags.HasError() {
		return tftypes.Value{}, fmt.Errorf("%v", diags)
	}
	if err := setResults(ctx, &state, jobs, buckets); err != nil {
		return tftypes.Value{}, err
	}
	return state.Raw, nil
}

// BenchmarkResultsToState converts the jobs of one read to the data source's
// state, with the framework's reflection and as Read does, side by side.
func BenchmarkResultsToState(b *testing.B) {
	ctx := context.Background()
	config := benchExportsConfig(b)
	found := benchBuckets(b)
	// As a read finds them: each bucket's location once.
	buckets, diags := locateBuckets(slices.Sorted(maps.Keys(found)), found)
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
			return tftypesState(ctx, config, jobs, buckets)
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
