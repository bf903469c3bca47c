#!/usr/bin/env bash
# make bench: the benchmarks behind BENCHMARKS.md, over loopback only.
#
# Runs the Go benchmarks of internal/atlas and internal/provider with
# -benchmem, then `terraform plan` end to end against a sandbox holding 10,000
# jobs, writes the raw output to build/bench/ and prints the ratios the
# performance goals are stated in. Every ratio compares runs of one
# invocation, side by side; nothing here asserts a wall-clock limit.
#
# Knobs (environment): BENCH_COUNT (repetitions of each Go benchmark, default
# 3), E2E_RUNS (measured plans per latency, default 3), E2E_LATENCIES (default
# "0s 50ms"). About 6 minutes on a 2-core machine with the defaults.
#
# The machine may be shared: the load average before and after every step
# goes to build/bench/load.txt, and the commit and the load at both ends head
# build/bench/ratios.txt, so that BENCHMARKS.md can state under what load a
# run was made.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/bench"
count=${BENCH_COUNT:-3}
e2e_runs=${E2E_RUNS:-3}
e2e_latencies=${E2E_LATENCIES:-0s 50ms}
rm -rf "$out"
mkdir -p "$out"
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

command -v terraform >/dev/null || { echo "make bench needs the terraform CLI on PATH" >&2; exit 1; }

# load LABEL: the load average now, with LABEL, into build/bench/load.txt.
load() { echo "$(date -u +%H:%M:%S) $1: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" >>"$out/load.txt"; }
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
load "start"

# gobench NAME PACKAGE REGEXP BENCHTIME COUNT: one `go test -bench` process,
# its output in build/bench/NAME.txt.
gobench() {
  echo "==> $1: go test -bench '$3' -benchtime $4 -count $5 $2"
  load "before $1"
  if ! go test -run '^$' -bench "$3" -benchmem -benchtime "$4" -count "$5" -timeout 30m "$2" >"$out/$1.txt" 2>&1; then
    cat "$out/$1.txt" >&2
    echo "benchmark $1 failed" >&2
    exit 1
  fi
  load "after $1"
  grep -E '^Benchmark' "$out/$1.txt"
}

# The list walk, 0 ms and 50 ms per request. Each latency is one process, so
# that the default settings and the sequential baseline are measured side by
# side; 3x keeps the 10-second baseline walks affordable.
gobench client-0ms ./internal/atlas '^BenchmarkListExportJobs$/^latency=0s$' 1s "$count"
gobench client-50ms ./internal/atlas '^BenchmarkListExportJobs$/^latency=50ms$' 3x "$count"
# Ten reads at once against a per-key in-flight limit: one client (one
# request budget) against a client per read, side by side.
gobench concurrent-reads ./internal/atlas '^BenchmarkConcurrentReads$' 3x "$count"
# Peak heap in a process of its own, so that no other benchmark's garbage is
# in the heap.
gobench peak-heap ./internal/atlas '^BenchmarkReadPeakHeap$' 5x "$count"
# Ordering 10,000 jobs by the snapshot time of their prefixes
# (order_by = "snapshot_created_at").
gobench snapshot-order ./internal/atlas '^BenchmarkSortBySnapshotNewestFirst$' 10x "$count"
# Results to Terraform values: reflection against tftypes, side by side.
gobench conversion ./internal/provider '^BenchmarkResultsToState$' 2x "$count"
# The provider's whole ReadDataSource call, in process.
gobench read-data-source ./internal/provider '^BenchmarkReadDataSource$' 3x "$count"

# ---- terraform plan, end to end ------------------------------------------

e2e="$out/e2e"
mkdir -p "$e2e/bin" "$e2e/config"
echo "==> e2e: building the provider and the sandbox"
go build -o "$e2e/bin/terraform-provider-atlasexports" .
go build -o "$e2e/bin/atlas-sandbox" ./cmd/atlas-sandbox
cat >"$e2e/config/main.tf" <<'HCL'
terraform {
  required_providers {
    atlasexports = {
      source = "atlasexports/atlasexports"
    }
  }
}

provider "atlasexports" {}

variable "cluster_name" {
  type    = string
  default = "generated-10000"
}

variable "states" {
  type    = list(string)
  default = null
}

variable "limit" {
  type    = number
  default = null
}

variable "resolve_export_buckets" {
  type    = bool
  default = null
}

variable "order_by" {
  type    = string
  default = null
}

data "atlasexports_snapshot_exports" "bench" {
  project_id             = "64b7e2f0c1d2a3b4c5d6e7f8"
  cluster_name           = var.cluster_name
  states                 = var.states
  limit                  = var.limit
  resolve_export_buckets = var.resolve_export_buckets
  order_by               = var.order_by
}

output "total_count" {
  value = data.atlasexports_snapshot_exports.bench.total_count
}

output "latest_prefix" {
  value = try(data.atlasexports_snapshot_exports.bench.results[0].prefix, null)
}
HCL

# bench_sandbox LATENCY: the sandbox with a 10,000-job cluster, answering
# after LATENCY, its credentials in the environment.
bench_sandbox() {
  start_sandbox "$e2e/bin/atlas-sandbox" "$e2e/sandbox.env" "$e2e/sandbox-$1.log" -generate 10000 -latency "$1"
  use_sandbox_credentials "$e2e/sandbox.env"
}

now_ms() { date +%s%3N; }

# plan LOG [terraform args...]: one terraform plan, its wall time in ms on
# stdout. Only the provider logs (TF_LOG_PROVIDER): Terraform's own trace
# logging would slow Terraform's side and flatter the ratio.
plan() {
  local log=$1 start end
  shift
  rm -f "$log"
  start=$(now_ms)
  if ! TF_LOG_PROVIDER=trace TF_LOG_PATH="$log" terraform -chdir="$e2e/config" plan -input=false -no-color -lock=false "$@" >"$log.out" 2>&1; then
    cat "$log.out" >&2
    echo "terraform plan failed; its log is $log" >&2
    exit 1
  fi
  end=$(now_ms)
  echo $((end - start))
}

# rpc_ms LOG: the provider's ReadDataSource, from terraform-plugin-go's
# "Received request" to its "Served request" (the timestamps the provider
# wrote), and the framework's own tf_req_duration_ms.
rpc_ms() {
  local received served
  received=$(grep 'Received request' "$1" | grep 'tf_rpc=ReadDataSource' | grep -o 'timestamp=[^ ]*' | head -1 | cut -d= -f2)
  served=$(grep 'Served request' "$1" | grep 'tf_rpc=ReadDataSource' | grep -o 'timestamp=[^ ]*' | head -1 | cut -d= -f2)
  echo $(($(date -d "$served" +%s%3N) - $(date -d "$received" +%s%3N)))
}
downstream_ms() {
  grep 'Received downstream response' "$1" | grep 'tf_rpc=ReadDataSource' | grep -o 'tf_req_duration_ms=[0-9]*' | head -1 | cut -d= -f2
}

use_dev_overrides "$e2e/dev.tfrc" "$e2e/bin"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG TF_LOG_CORE TF_LOG_SDK TF_LOG_SDK_FRAMEWORK TF_LOG_SDK_PROTO
: >"$e2e/results.txt"
for latency in $e2e_latencies; do
  bench_sandbox "$latency"
  echo "==> e2e: terraform plan, 10,000 jobs, sandbox latency $latency"
  load "before e2e $latency"
  plan "$e2e/warmup-$latency.log" >/dev/null
  empty_ms=$(plan "$e2e/empty-$latency.log" -var cluster_name=empty)
  for run in $(seq 1 "$e2e_runs"); do
    log="$e2e/plan-$latency-$run.log"
    wall=$(plan "$log")
    rpc=$(rpc_ms "$log")
    downstream=$(downstream_ms "$log")
    echo "e2e latency=$latency run=$run wall_ms=$wall read_data_source_ms=$rpc downstream_ms=$downstream empty_cluster_wall_ms=$empty_ms" |
      tee -a "$e2e/results.txt"
  done
  load "after e2e $latency"
  stop_sandbox
done

# ---- export buckets, limit and order, at 50 ms per request ----------------
# Side by side, interleaved run by run: the newest successful export
# (limit = 1) of the 10,000-job cluster against the 1-job cluster
# docs-replica-set (limit = 1 too; both read one bucket); the full
# 10,000-job read, whose jobs cycle through three buckets, with and without
# resolve_export_buckets; and the full read ordered by the snapshot's time.
bench_sandbox 50ms
echo "==> e2e: export buckets and limit, sandbox latency 50ms"
load "before e2e buckets"
plan "$e2e/warmup-buckets.log" >/dev/null
: >"$e2e/buckets.txt"
for run in $(seq 1 "$e2e_runs"); do
  latest=$(plan "$e2e/latest-$run.log" -var 'states=["Successful"]' -var limit=1)
  one=$(plan "$e2e/one-job-$run.log" -var cluster_name=docs-replica-set -var limit=1)
  resolved=$(plan "$e2e/resolved-$run.log")
  unresolved=$(plan "$e2e/unresolved-$run.log" -var resolve_export_buckets=false)
  by_snapshot=$(plan "$e2e/by-snapshot-$run.log" -var order_by=snapshot_created_at)
  echo "buckets run=$run latest_limit1_ms=$latest one_job_ms=$one full_resolved_ms=$resolved full_unresolved_ms=$unresolved full_by_snapshot_ms=$by_snapshot" |
    tee -a "$e2e/buckets.txt"
done
load "after e2e buckets"
stop_sandbox

# ---- ratios ---------------------------------------------------------------

# metric FILE BENCHMARK UNIT: the median of UNIT over the runs of BENCHMARK.
metric() {
  awk -v name="$2" -v unit="$3" '/^Benchmark/ {
      n = $1; sub(/-[0-9]+$/, "", n)
      if (n == name) for (i = 2; i <= NF; i++) if ($i == unit) print $(i - 1)
    }' "$out/$1.txt" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "NaN"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { # VALUE OP LIMIT
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; printf "%s", ok ? "met" : "NOT met" }'
}

base=BenchmarkListExportJobs/latency=50ms/jobs=10000
default_ns=$(metric client-50ms "$base/default" ns/op)
sequential_ns=$(metric client-50ms "$base/sequential-100" ns/op)
speedup=$(ratio "$sequential_ns" "$default_ns")
floor=$(ratio "$default_ns" 200000000)
conv=BenchmarkResultsToState/jobs=10000
conversion=$(ratio "$(metric conversion "$conv/reflection" ns/op)" "$(metric conversion "$conv/tftypes" ns/op)")
conversion_1k=$(ratio "$(metric conversion BenchmarkResultsToState/jobs=1000/reflection ns/op)" \
  "$(metric conversion BenchmarkResultsToState/jobs=1000/tftypes ns/op)")
peak=$(metric peak-heap BenchmarkReadPeakHeap peak-heap/json)
framework=$(ratio "$(metric read-data-source BenchmarkReadDataSource/jobs=10000/rpc ns/op)" \
  "$(metric read-data-source BenchmarkReadDataSource/jobs=10000/read+msgpack ns/op)")
framework_100=$(ratio "$(metric read-data-source BenchmarkReadDataSource/jobs=100/rpc ns/op)" \
  "$(metric read-data-source BenchmarkReadDataSource/jobs=100/read+msgpack ns/op)")
# The state of a 10,000-job read, against the 8,007,135 bytes of the same
# read before the list kept its buckets in export_buckets (commit fbd7d9f,
# BenchmarkReadDataSource; a byte count, the same on every run).
state_bytes=$(metric read-data-source BenchmarkReadDataSource/jobs=10000/rpc state-bytes)
state_ratio=$(awk -v a="$state_bytes" 'BEGIN { printf "%.3f", a / 8007135 }')

{
  echo
  echo "Ratios (medians; raw output in build/bench/), commit $commit:"
  echo "  load average at the start: $(grep ' start:' "$out/load.txt" | sed 's/.*load average //'), at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (every step: build/bench/load.txt)"
  printf '  10,000 jobs at 50 ms, sequential 100-per-page walk / default settings: %sx (goal >= 10: %s)\n' \
    "$speedup" "$(verdict "$speedup" ">=" 10)"
  printf '  10,000 jobs at 50 ms, default settings / floor of 4 round trips (200 ms): %sx (goal <= 2: %s)\n' \
    "$floor" "$(verdict "$floor" "<=" 2)"
  cr=BenchmarkConcurrentReads
  printf '  10 reads at once at 50 ms, a client per read / one shared client: %sx (429s answered: %s against %s)\n' \
    "$(ratio "$(metric concurrent-reads "$cr/client-per-read" ns/op)" "$(metric concurrent-reads "$cr/shared-client" ns/op)")" \
    "$(metric concurrent-reads "$cr/client-per-read" 429/op)" "$(metric concurrent-reads "$cr/shared-client" 429/op)"
  printf '  converting 1,000 jobs, reflection / tftypes: %sx\n' "$conversion_1k"
  printf '  converting 10,000 jobs, reflection / tftypes: %sx (goal >= 10: %s)\n' \
    "$conversion" "$(verdict "$conversion" ">=" 10)"
  printf '  peak heap of a 10,000-job read / its JSON: %sx (goal <= 3: %s)\n' "$peak" "$(verdict "$peak" "<=" 3)"
  printf '  ReadDataSource of 100 jobs in process, through the framework / Read and msgpack alone: %sx\n' "$framework_100"
  printf '  ReadDataSource of 10,000 jobs in process, through the framework / Read and msgpack alone: %sx\n' "$framework"
  printf '  state of a 10,000-job read: %s bytes / 8,007,135 bytes before export_buckets: %sx (goal <= 0.5: %s)\n' \
    "$state_bytes" "$state_ratio" "$(verdict "$state_ratio" "<=" 0.5)"
  for latency in $e2e_latencies; do
    # Per run: wall / (wall - provider's ReadDataSource), then the median.
    e2e_ratio=$(grep "latency=$latency " "$e2e/results.txt" |
      sed -E 's/.*wall_ms=([0-9]+) read_data_source_ms=([0-9]+).*/\1 \2/' |
      awk '{ printf "%.4f\n", $1 / ($1 - $2) }' | sort -g |
      awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '  terraform plan, 10,000 jobs, %s per request: total / Terraform'"'"'s own share: %.2fx (goal <= 1.5: %s)\n' \
      "$latency" "$e2e_ratio" "$(verdict "$e2e_ratio" "<=" 1.5)"
  done
  # bucket_ratio FIELD_A FIELD_B: the median over the runs of A / B.
  bucket_ratio() {
    sed -E "s/.* $1=([0-9]+).*/\1/" "$e2e/buckets.txt" | paste -d' ' - <(sed -E "s/.* $2=([0-9]+).*/\1/" "$e2e/buckets.txt") |
      awk '{ printf "%.4f\n", $1 / $2 }' | sort -g |
      awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  }
  limit_ratio=$(bucket_ratio latest_limit1_ms one_job_ms)
  bucket_cost=$(bucket_ratio full_resolved_ms full_unresolved_ms)
  printf '  terraform plan at 50 ms, newest successful export (limit = 1) of 10,000 jobs / of a 1-job cluster: %.2fx (goal <= 1.3: %s)\n' \
    "$limit_ratio" "$(verdict "$limit_ratio" "<=" 1.3)"
  printf '  terraform plan at 50 ms, 10,000 jobs in three buckets, buckets resolved / resolve_export_buckets = false: %.2fx (goal <= 1.1: %s)\n' \
    "$bucket_cost" "$(verdict "$bucket_cost" "<=" 1.1)"
  printf '  terraform plan at 50 ms, 10,000 jobs, order_by = "snapshot_created_at" / the default created_at: %.2fx\n' \
    "$(bucket_ratio full_by_snapshot_ms full_resolved_ms)"
} | tee "$out/ratios.txt"
