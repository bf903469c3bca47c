package atlas_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// BenchmarkConcurrentReads reads ten clusters at once, as Terraform reads the
// instances of a for_each through one provider configuration, against a
// sandbox that answers 429 (Retry-After: 1) when more than 8 requests of the
// key are in flight, at 50 ms per request. shared-client is the provider:
// one Client, one request budget. client-per-read gives each read its own
// Client, and so its own budget of 8: what a budget per read did. Besides
// time it reports the 429s answered (429/op), the reads that failed after
// their retries (failed/op) and the most requests of the key in flight.
func BenchmarkConcurrentReads(b *testing.B) {
	for _, setup := range []struct {
		name   string
		shared bool
	}{{"shared-client", true}, {"client-per-read", false}} {
		b.Run(setup.name, func(b *testing.B) { benchmarkConcurrentReads(b, setup.shared) })
	}
}

const (
	concurrentReads    = 10
	concurrentReadJobs = 2400 // five pages of 500
)

func benchmarkConcurrentReads(b *testing.B, shared bool) {
	clusters := make([][]sandbox.Job, concurrentReads)
	for i := range clusters {
		clusters[i] = sandbox.GenerateJobs(fmt.Sprintf("c%d", i), concurrentReadJobs, uint64(i))
	}
	var current atomic.Pointer[sandbox.Server]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current.Load().ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	cfg := atlas.Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey,
		MaxRetries: atlas.DefaultMaxRetries}
	newClient := func() *atlas.Client {
		client, err := atlas.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return client
	}
	var rateLimited, failed, maxInFlight int
	for b.Loop() {
		b.StopTimer()
		sbx := sandbox.NewEmpty()
		sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
		for i, jobs := range clusters {
			sbx.SetJobs(sandbox.ProjectID, fmt.Sprintf("c%d", i), jobs)
		}
		sbx.Latency = 50 * time.Millisecond
		sbx.MaxInFlightPerKey = atlas.DefaultMaxConcurrentRequests
		current.Store(sbx)
		srv.CloseClientConnections()
		client := newClient()
		b.StartTimer()

		var wg sync.WaitGroup
		var failures atomic.Int64
		for i := range concurrentReads {
			wg.Go(func() {
				c := client
				if !shared {
					c = newClient()
				}
				list, err := c.ListExportJobs(context.Background(), sandbox.ProjectID, fmt.Sprintf("c%d", i))
				switch {
				case err != nil:
					failures.Add(1)
				case len(list.Jobs) != concurrentReadJobs:
					b.Errorf("read %d jobs of c%d, want %d", len(list.Jobs), i, concurrentReadJobs)
				}
			})
		}
		wg.Wait()

		b.StopTimer()
		rateLimited += sbx.RateLimited()
		failed += int(failures.Load())
		maxInFlight = max(maxInFlight, sbx.MaxInFlightOfAKey())
		b.StartTimer()
	}
	b.ReportMetric(float64(rateLimited)/float64(b.N), "429/op")
	b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
	b.ReportMetric(float64(maxInFlight), "max-inflight")
}
