package atlas_test

// Benchmarks of whole reads against the sandbox over loopback. `make bench`
// runs them (scripts/bench.sh) and BENCHMARKS.md explains the numbers; `go
// test` without -bench runs none of them, and they assert no timings.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

const benchCluster = "bench"

// benchSetups are the client configurations compared side by side. default
// is what the provider uses when max_concurrent_requests is not set, with an
// API key (HTTP Digest: two round trips a request); service-account is the
// same with a service account (one round trip a request, and the token
// once); sequential-100 is the walk the issue measured: 100 jobs per page,
// one page at a time; wide-32 takes the concurrency bound out of the way, to
// show how close the walk gets to its floor of four round trips.
var benchSetups = []struct {
	name string
	// minJobs skips the setup for smaller lists, where it reads the same
	// pages as default.
	minJobs int
	apply   func(*atlas.Config)
}{
	{name: "default", apply: func(*atlas.Config) {}},
	{name: "service-account", minJobs: 10000, apply: func(c *atlas.Config) {
		c.PublicKey, c.PrivateKey, c.ClientID, c.ClientSecret = "", "", sandbox.ClientID, sandbox.ClientSecret
	}},
	{name: "sequential-100", apply: func(c *atlas.Config) { c.ItemsPerPage, c.MaxConcurrentRequests = 100, 1 }},
	{name: "wide-32", minJobs: 10000, apply: func(c *atlas.Config) { c.MaxConcurrentRequests = 32 }},
}

// BenchmarkListExportJobs reads every job of a cluster, each iteration with a
// fresh client against a fresh sandbox, as one terraform plan does. Besides
// time and allocations it reports the requests of one read (req/op, digest
// challenges and token requests included), the TCP connections it opened
// (conns/op: with connections reused this stays near the concurrency bound
// however many requests there are), the most requests the sandbox served at
// once, and, with a latency, the time in units of the floor of four round
// trips (x-floor).
func BenchmarkListExportJobs(b *testing.B) {
	for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
		for _, jobs := range []int{100, 1000, 10000} {
			for _, setup := range benchSetups {
				if jobs < setup.minJobs {
					continue
				}
				name := fmt.Sprintf("latency=%s/jobs=%d/%s", latency, jobs, setup.name)
				b.Run(name, func(b *testing.B) {
					benchmarkList(b, latency, jobs, setup.apply)
				})
			}
		}
	}
}

func benchmarkList(b *testing.B, latency time.Duration, jobs int, apply func(*atlas.Config)) {
	srv := newBenchServer(b, latency, sandbox.GenerateJobs(benchCluster, jobs, 1))
	var requests, conns, maxInFlight int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sbx := srv.reset()
		connsBefore, requestsBefore := srv.conns.Load(), srv.requests.Load()
		cfg := atlas.Config{BaseURL: srv.URL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey}
		apply(&cfg)
		b.StartTimer()

		readAll(b, cfg, jobs)

		b.StopTimer()
		requests += int(srv.requests.Load() - requestsBefore)
		conns += int(srv.conns.Load() - connsBefore)
		maxInFlight = max(maxInFlight, sbx.MaxInFlight())
		b.StartTimer()
	}
	perOp := func(n int) float64 { return float64(n) / float64(b.N) }
	b.ReportMetric(perOp(requests), "req/op")
	b.ReportMetric(perOp(conns), "conns/op")
	b.ReportMetric(float64(maxInFlight), "max-inflight")
	if latency > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(4*latency), "x-floor")
	}
}

// readAll reads every job of the benchmark cluster with a fresh client, as
// one terraform plan does, and checks that there are want of them.
func readAll(b *testing.B, cfg atlas.Config, want int) *atlas.ExportJobList {
	client, err := atlas.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	list, err := client.ListExportJobs(context.Background(), sandbox.ProjectID, benchCluster)
	if err != nil {
		b.Fatal(err)
	}
	if len(list.Jobs) != want {
		b.Fatalf("read %d jobs, want %d", len(list.Jobs), want)
	}
	return list
}

// benchServer serves a sandbox with one cluster and counts the requests and
// the TCP connections clients open. It counts requests itself because the
// sandbox logs a request only after answering it, which a client may beat.
type benchServer struct {
	*httptest.Server
	latency         time.Duration
	jobs            []sandbox.Job
	current         atomic.Pointer[sandbox.Server]
	requests, conns atomic.Int64
}

func newBenchServer(b *testing.B, latency time.Duration, jobs []sandbox.Job) *benchServer {
	b.Helper()
	s := &benchServer{latency: latency, jobs: jobs}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.current.Load().ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.reset()
	s.Start()
	b.Cleanup(s.Close)
	return s
}

// reset installs a fresh sandbox and drops the previous client's
// connections, so that every read starts as a plan's first read does. A
// fresh sandbox also keeps its request log and digest nonces from growing
// over thousands of iterations.
func (s *benchServer) reset() *sandbox.Server {
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.AddServiceAccount(sandbox.ClientID, sandbox.ClientSecret)
	sbx.SetJobs(sandbox.ProjectID, benchCluster, s.jobs)
	sbx.Latency = s.latency
	s.current.Store(sbx)
	if s.URL != "" {
		s.CloseClientConnections()
	}
	return sbx
}

// peakHeapJobs is the size of the list whose peak heap is measured.
const peakHeapJobs = 10000

// envSandboxProcess asks the test binary to serve a sandbox instead of
// testing (see TestBenchSandboxProcess).
const envSandboxProcess = "ATLAS_BENCH_SANDBOX_JOBS"

// BenchmarkReadPeakHeap reads 10,000 jobs with the default settings while a
// goroutine samples the heap, with the garbage collector running normally.
// It reports the peak heap above the heap before the read, and the heap the
// result keeps once garbage is collected, both per byte of the JSON of all
// pages (peak-heap/json, retained/json). The sandbox runs in a child process
// so that its own allocations (the encoded pages) are not counted; run this
// benchmark in a process of its own (scripts/bench.sh does), so that no other
// benchmark's garbage is in the heap either.
func BenchmarkReadPeakHeap(b *testing.B) {
	baseURL := startSandboxProcess(b, peakHeapJobs)
	jsonBytes := rawListSize(b, baseURL, peakHeapJobs)
	var peakSum, retainedSum float64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		// Twice: the second collection also empties the sync.Pools, so that
		// every read starts as a fresh process's would.
		runtime.GC()
		runtime.GC()
		before := heapObjectBytes()
		sampler := startHeapSampler()
		b.StartTimer()

		list := readAll(b, atlas.Config{BaseURL: baseURL, PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey}, peakHeapJobs)

		b.StopTimer()
		peak := sampler.stop()
		runtime.GC()
		retained := heapObjectBytes()
		runtime.KeepAlive(list)
		peakSum += float64(peak-before) / float64(jsonBytes)
		retainedSum += float64(retained-before) / float64(jsonBytes)
		b.StartTimer()
	}
	b.ReportMetric(float64(jsonBytes), "json-bytes")
	b.ReportMetric(peakSum/float64(b.N), "peak-heap/json")
	b.ReportMetric(retainedSum/float64(b.N), "retained/json")
}

// heapObjectBytes is the heap held by objects, live or not yet swept: what
// runtime.MemStats calls HeapAlloc, read without stopping the world.
func heapObjectBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

type heapSampler struct {
	done chan struct{}
	peak chan uint64
}

// startHeapSampler samples the heap every 100µs until stop.
func startHeapSampler() *heapSampler {
	s := &heapSampler{done: make(chan struct{}), peak: make(chan uint64)}
	go func() {
		peak := heapObjectBytes()
		ticker := time.NewTicker(100 * time.Microsecond)
		defer ticker.Stop()
		for {
			select {
			case <-s.done:
				s.peak <- max(peak, heapObjectBytes())
				return
			case <-ticker.C:
				peak = max(peak, heapObjectBytes())
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() uint64 {
	close(s.done)
	return <-s.peak
}

// rawListSize is the size of the bodies of every page of the list, as the
// client reads them (500 jobs a page).
func rawListSize(b *testing.B, baseURL string, jobs int) int64 {
	b.Helper()
	client := &http.Client{Transport: digest.NewTransport(sandbox.PublicKey, sandbox.PrivateKey)}
	var total int64
	for page := 1; ; page++ {
		u := fmt.Sprintf("%s/api/atlas/v2/groups/%s/clusters/%s/backup/exports?itemsPerPage=%d&pageNum=%d",
			baseURL, sandbox.ProjectID, benchCluster, atlas.MaxItemsPerPage, page)
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Accept", atlas.MediaTypeV2)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("page %d: status %d, %v", page, resp.StatusCode, err)
		}
		total += n
		if page*atlas.MaxItemsPerPage >= jobs {
			return total
		}
	}
}

// startSandboxProcess runs this test binary again as a sandbox serving a
// cluster of n jobs, and returns its base URL.
func startSandboxProcess(b *testing.B, n int) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSandboxProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envSandboxProcess+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the child exits when this closes
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "sandbox listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return url
		}
	}
	b.Fatalf("the sandbox process did not start: %v", lines.Err())
	return ""
}

// TestBenchSandboxProcess is not a test: it is the sandbox process of
// BenchmarkReadPeakHeap, and skips at once unless that benchmark started it.
func TestBenchSandboxProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(envSandboxProcess))
	if err != nil {
		t.Skip("the sandbox process of BenchmarkReadPeakHeap; it runs only when the benchmark starts it")
	}
	sbx := sandbox.NewEmpty()
	sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
	sbx.SetJobs(sandbox.ProjectID, benchCluster, sandbox.GenerateJobs(benchCluster, n, 1))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: sbx, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { _ = server.Serve(listener) })
	fmt.Printf("sandbox listening on http://%s\n", listener.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark closes it
	_ = server.Close()
	wg.Wait()
}
