#!/usr/bin/env bash
# make bench: the benchmarks behind BENCHMARKS.md, over loopback only.
#
# Runs the Go benchmarks of internal/atlas and internal/provider with
# -benchmem, then `terraform plan` end to end against a sandbox holding 10,000
# jobs, writes the raw output to build/bench/ and prints the ratios the
# performance goals are stated in. Every ratio compares runs of one
# invocation, side by side; nothing here asserts a wall-clock limit.
#
# The before columns are main before issue 19 (commit e6c7a5e,
# BENCH_BASELINE), so that one run shows that issue's changes side by side
# with what came before (issue 14's goals were stated against 2457513, the
# provider before issues 13 to 15: BENCH_BASELINE=2457513 measures against
# it again, without order_by). The script builds that provider from the
# repository's history and measures it in the same run, beside the current
# one: the bytes of the state terraform apply writes for 10,000 jobs, the
# full-list plans and the bucket plans, interleaved run by run. Without the
# history (a shallow clone) it skips the baseline and says so.
#
# Knobs (environment): BENCH_COUNT (repetitions of each Go benchmark, default
# 3), E2E_RUNS (measured plans per latency, default 3), E2E_LATENCIES (default
# "0s 50ms"), BENCH_BASELINE (default e6c7a5e). About 7 minutes on a 2-core
# machine with the defaults.
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

# ---- the baseline: main before issue 19 ------------------------------------
# The state and the plans are compared with those of the provider of
# BENCH_BASELINE (default e6c7a5e, main before issue 19). It is built here
# from the repository's
# history (git archive into build/bench/baseline-src, removed once built), so
# that its state and its plans are measured in this run, beside the current
# provider's and against the same sandbox. Without that history (a shallow
# clone, a source archive) the baseline is skipped, and the ratios say so.

e2e="$out/e2e"
mkdir -p "$e2e/bin" "$e2e/config"
baseline=${BENCH_BASELINE:-e6c7a5e}
baseline_built=false
if git -C "$root" rev-parse -q --verify "$baseline^{commit}" >/dev/null 2>&1; then
  baseline=$(git -C "$root" rev-parse --short "$baseline^{commit}")
  echo "==> baseline: building the provider of commit $baseline"
  load "before baseline build"
  src="$out/baseline-src"
  mkdir -p "$src" "$e2e/baseline-bin"
  git -C "$root" archive "$baseline" | tar -x -C "$src"
  (cd "$src" && go build -o "$e2e/baseline-bin/terraform-provider-atlasexports" .)
  # The same in-process measure of the state as BenchmarkReadDataSource's
  # state-bytes above: the baseline's own benchmark, unchanged, over the same
  # generated jobs (sandbox.GenerateJobs has not changed since). A byte
  # count, the same on every run, so one iteration.
  echo "==> baseline: its BenchmarkReadDataSource, 10,000 jobs, rpc (state-bytes)"
  if ! (cd "$src" && go test -run '^$' -bench '^BenchmarkReadDataSource$/^jobs=10000$/^rpc$' -benchmem -benchtime 1x -count 1 \
    -timeout 30m ./internal/provider) >"$out/baseline-read-data-source.txt" 2>&1; then
    cat "$out/baseline-read-data-source.txt" >&2
    echo "the baseline's BenchmarkReadDataSource failed" >&2
    exit 1
  fi
  rm -rf "$src"
  load "after baseline build"
  baseline_built=true
else
  echo "==> baseline: SKIPPED: commit $baseline is not in this repository's history (a shallow clone?);" \
    "the before columns of issue 14's goals are not measured" | tee "$out/baseline-skipped.txt"
fi

# ---- terraform plan, end to end ------------------------------------------

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
# The baseline's configuration is the same, without order_by when it does
# not have it (before issue 15).
mkdir -p "$e2e/config-baseline"
baseline_has_order_by=false
if git -C "$root" grep -q order_by "$baseline" -- internal/provider 2>/dev/null; then baseline_has_order_by=true; fi
if $baseline_has_order_by; then
  cp "$e2e/config/main.tf" "$e2e/config-baseline/main.tf"
else
  sed -e '/^variable "order_by" {/,/^}/d' -e '/order_by *= var.order_by/d' "$e2e/config/main.tf" >"$e2e/config-baseline/main.tf"
fi

# bench_sandbox LATENCY: the sandbox with a 10,000-job cluster, answering
# after LATENCY, its credentials in the environment.
bench_sandbox() {
  start_sandbox "$e2e/bin/atlas-sandbox" "$e2e/sandbox.env" "$e2e/sandbox-$1.log" -generate 10000 -latency "$1"
  use_sandbox_credentials "$e2e/sandbox.env"
}

now_ms() { date +%s%3N; }

# The CLI configuration of each provider (dev_overrides of its binary) and
# its configuration folder: current is this commit's provider, baseline the
# one built above.
use_dev_overrides "$e2e/dev-baseline.tfrc" "$e2e/baseline-bin"
use_dev_overrides "$e2e/dev.tfrc" "$e2e/bin"
tfrc_of() { if [ "$1" = baseline ]; then echo "$e2e/dev-baseline.tfrc"; else echo "$e2e/dev.tfrc"; fi; }
config_of() { if [ "$1" = baseline ]; then echo "$e2e/config-baseline"; else echo "$e2e/config"; fi; }

# plan PROVIDER LOG [terraform args...]: one terraform plan with PROVIDER
# (current or baseline), its wall time in ms on stdout. Only the provider
# logs (TF_LOG_PROVIDER): Terraform's own trace logging would slow
# Terraform's side and flatter the ratio.
plan() {
  local which=$1 log=$2 start end
  shift 2
  rm -f "$log"
  start=$(now_ms)
  if ! TF_CLI_CONFIG_FILE=$(tfrc_of "$which") TF_LOG_PROVIDER=trace TF_LOG_PATH="$log" \
    terraform -chdir="$(config_of "$which")" plan -input=false -no-color -lock=false "$@" >"$log.out" 2>&1; then
    cat "$log.out" >&2
    echo "terraform plan ($which provider) failed; its log is $log" >&2
    exit 1
  fi
  end=$(now_ms)
  echo $((end - start))
}

# log_ms LOG PATTERN: the provider's timestamp (ms) of the first line of LOG
# that matches PATTERN and is of the ReadDataSource call, or of the last when
# PATTERN starts with "last:".
log_ms() {
  local pick=head pattern=$2 ts
  case $pattern in last:*) pick=tail pattern=${pattern#last:} ;; esac
  ts=$(grep -e "$pattern" "$1" | grep 'tf_rpc=ReadDataSource' | grep -o 'timestamp=[^ ]*' | "$pick" -1 | cut -d= -f2)
  [ -n "$ts" ] || { echo "no '$pattern' line in $1" >&2; exit 1; }
  date -d "$ts" +%s%3N
}

# rpc_ms LOG: the provider's ReadDataSource, from terraform-plugin-go's
# "Received request" to its "Served request" (the timestamps the provider
# wrote).
rpc_ms() { echo $(($(log_ms "$1" 'Served request') - $(log_ms "$1" 'Received request'))); }

# buckets_after_list_ms LOG: how long the read waited for export buckets once
# the list was in: from the provider's "listed export jobs" to the client's
# last "Atlas answered" of an export bucket GET, 0 if that came first (the
# baseline read the buckets while it listed; the current provider reads
# them after the list).
buckets_after_list_ms() {
  local d=$(($(log_ms "$1" 'last:Atlas answered.*exportBuckets') - $(log_ms "$1" 'listed export jobs')))
  echo $((d > 0 ? d : 0))
}

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG TF_LOG_CORE TF_LOG_SDK TF_LOG_SDK_FRAMEWORK TF_LOG_SDK_PROTO
providers=current
if $baseline_built; then providers="current baseline"; fi

# ---- the state users keep --------------------------------------------------
# state_bytes PROVIDER: terraform apply of the full 10,000-job read with
# PROVIDER, in a folder of its own (the plans below must not load this
# state), and the bytes of the terraform.tfstate it writes: the state a user
# keeps, on disk or in a backend. It checks that the state holds the 10,000
# jobs (one "prefix" each, in both shapes).
state_bytes() {
  local dir="$e2e/state-$1" jobs
  mkdir -p "$dir"
  cp "$(config_of "$1")/main.tf" "$dir/"
  if ! TF_CLI_CONFIG_FILE=$(tfrc_of "$1") terraform -chdir="$dir" apply -auto-approve -input=false -no-color -lock=false \
    >"$dir/apply.out" 2>&1; then
    cat "$dir/apply.out" >&2
    echo "terraform apply ($1 provider) failed" >&2
    exit 1
  fi
  jobs=$(grep -c '^ *"prefix": ' "$dir/terraform.tfstate" || true)
  if [ "$jobs" != 10000 ]; then
    echo "the state of the $1 provider holds $jobs jobs, not 10,000: $dir/terraform.tfstate" >&2
    exit 1
  fi
  wc -c <"$dir/terraform.tfstate"
}
bench_sandbox 0s
echo "==> e2e: the state of 10,000 jobs (terraform apply), sandbox latency 0s"
load "before e2e state"
: >"$e2e/state.txt"
for which in $providers; do
  echo "state provider=$which tfstate_bytes=$(state_bytes "$which")" | tee -a "$e2e/state.txt"
done
load "after e2e state"
stop_sandbox

# ---- the full-list plan, both providers, interleaved run by run -------------
: >"$e2e/results.txt"
for latency in $e2e_latencies; do
  bench_sandbox "$latency"
  echo "==> e2e: terraform plan, 10,000 jobs, sandbox latency $latency ($providers)"
  load "before e2e $latency"
  declare -A empty_ms=()
  for which in $providers; do
    plan "$which" "$e2e/warmup-$which-$latency.log" >/dev/null
    empty_ms[$which]=$(plan "$which" "$e2e/empty-$which-$latency.log" -var cluster_name=empty)
  done
  for run in $(seq 1 "$e2e_runs"); do
    for which in $providers; do
      log="$e2e/plan-$which-$latency-$run.log"
      wall=$(plan "$which" "$log")
      echo "e2e provider=$which latency=$latency run=$run wall_ms=$wall read_data_source_ms=$(rpc_ms "$log") empty_cluster_wall_ms=${empty_ms[$which]}" |
        tee -a "$e2e/results.txt"
    done
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
# Then the same but the order with the baseline provider.
bench_sandbox 50ms
echo "==> e2e: export buckets and limit, sandbox latency 50ms ($providers)"
load "before e2e buckets"
for which in $providers; do plan "$which" "$e2e/warmup-buckets-$which.log" >/dev/null; done
: >"$e2e/buckets.txt"
for run in $(seq 1 "$e2e_runs"); do
  for which in $providers; do
    line="buckets provider=$which run=$run"
    line+=" latest_limit1_ms=$(plan "$which" "$e2e/latest-$which-$run.log" -var 'states=["Successful"]' -var limit=1)"
    line+=" one_job_ms=$(plan "$which" "$e2e/one-job-$which-$run.log" -var cluster_name=docs-replica-set -var limit=1)"
    line+=" full_resolved_ms=$(plan "$which" "$e2e/resolved-$which-$run.log")"
    line+=" buckets_after_list_ms=$(buckets_after_list_ms "$e2e/resolved-$which-$run.log")"
    line+=" full_unresolved_ms=$(plan "$which" "$e2e/unresolved-$which-$run.log" -var resolve_export_buckets=false)"
    if [ "$which" = current ] || $baseline_has_order_by; then
      line+=" full_by_snapshot_ms=$(plan "$which" "$e2e/by-snapshot-$which-$run.log" -var order_by=snapshot_created_at)"
    fi
    echo "$line" | tee -a "$e2e/buckets.txt"
  done
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
    sort -g | median
}
# median: the median of the numbers on stdin, one a line; NaN if none.
median() {
  awk '{ v[NR] = $1 } END { if (NR == 0) print "NaN"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { # VALUE OP LIMIT; "no value" unless VALUE is a number
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
      if (v !~ /^[0-9.]+$/) { printf "no value"; exit }
      ok = (op == ">=") ? v + 0 >= l : v + 0 <= l; printf "%s", ok ? "met" : "NOT met"
    }'
}

base=BenchmarkListExportJobs/latency=50ms/jobs=10000
default_ns=$(metric client-50ms "$base/default" ns/op)
sequential_ns=$(metric client-50ms "$base/sequential-100" ns/op)
speedup=$(ratio "$sequential_ns" "$default_ns")
floor=$(ratio "$default_ns" 200000000)
service_account_floor=$(ratio "$(metric client-50ms "$base/service-account" ns/op)" 200000000)
conv=BenchmarkResultsToState/jobs=10000
conversion=$(ratio "$(metric conversion "$conv/reflection" ns/op)" "$(metric conversion "$conv/tftypes" ns/op)")
conversion_1k=$(ratio "$(metric conversion BenchmarkResultsToState/jobs=1000/reflection ns/op)" \
  "$(metric conversion BenchmarkResultsToState/jobs=1000/tftypes ns/op)")
peak=$(metric peak-heap BenchmarkReadPeakHeap peak-heap/json)
framework=$(ratio "$(metric read-data-source BenchmarkReadDataSource/jobs=10000/rpc ns/op)" \
  "$(metric read-data-source BenchmarkReadDataSource/jobs=10000/read+msgpack ns/op)")
framework_100=$(ratio "$(metric read-data-source BenchmarkReadDataSource/jobs=100/rpc ns/op)" \
  "$(metric read-data-source BenchmarkReadDataSource/jobs=100/read+msgpack ns/op)")
msgpack_bytes=$(metric read-data-source BenchmarkReadDataSource/jobs=10000/rpc state-bytes)
tfstate_bytes() { sed -nE "s/^state provider=$1 tfstate_bytes=([0-9]+)$/\1/p" "$e2e/state.txt"; }

# e2e_ratio PROVIDER LATENCY: per plan, wall / (wall - the provider's
# ReadDataSource), then the median over the runs.
e2e_ratio() {
  grep "provider=$1 latency=$2 " "$e2e/results.txt" |
    sed -E 's/.*wall_ms=([0-9]+) read_data_source_ms=([0-9]+).*/\1 \2/' |
    awk '{ printf "%.4f\n", $1 / ($1 - $2) }' | sort -g | median
}
# bucket_fields PROVIDER: the lines of buckets.txt of PROVIDER.
bucket_fields() { grep "provider=$1 " "$e2e/buckets.txt" || true; }
# bucket_ratio PROVIDER FIELD_A FIELD_B: the median over the runs of A / B.
bucket_ratio() {
  bucket_fields "$1" | awk -v a="$2" -v b="$3" '{
      delete v
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      if ((a in v) && (b in v) && v[b] > 0) printf "%.4f\n", v[a] / v[b]
    }' | sort -g | median
}
# bucket_median PROVIDER FIELD: the median over the runs of FIELD.
bucket_median() {
  bucket_fields "$1" | awk -v f="$2" '{ for (i = 1; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' |
    sort -g | median
}
# before FORMAT COMMAND...: "; before (BASELINE): " and the output of
# COMMAND in FORMAT, or that the baseline was skipped.
before() {
  local format=$1
  shift
  if $baseline_built; then printf "; before (%s): $format" "$baseline" "$("$@")"; else printf '; before: skipped (no baseline)'; fi
}

{
  echo
  echo "Ratios (medians; raw output in build/bench/), commit $commit, baseline $( $baseline_built && echo "$baseline" || echo "skipped"):"
  echo "  load average at the start: $(grep ' start:' "$out/load.txt" | sed 's/.*load average //'), at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (every step: build/bench/load.txt)"
  printf '  10,000 jobs at 50 ms, sequential 100-per-page walk / default settings: %sx (goal >= 10: %s)\n' \
    "$speedup" "$(verdict "$speedup" ">=" 10)"
  printf '  10,000 jobs at 50 ms, default settings / floor of 4 round trips (200 ms): %sx (goal <= 2: %s); with a service account: %sx\n' \
    "$floor" "$(verdict "$floor" "<=" 2)" "$service_account_floor"
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
  # Issue 14: the state, the full-list plan and the buckets, each beside the
  # baseline's in this run.
  if $baseline_built; then
    now=$(tfstate_bytes current)
    was=$(tfstate_bytes baseline)
    state_ratio=$(awk -v a="$now" -v b="$was" 'BEGIN { printf "%.3f", a / b }')
    printf '  state of a 10,000-job read, terraform.tfstate after terraform apply: %s bytes / %s bytes before (%s): %sx (goal <= 0.5: %s)\n' \
      "$now" "$was" "$baseline" "$state_ratio" "$(verdict "$state_ratio" "<=" 0.5)"
    was_msgpack=$(metric baseline-read-data-source BenchmarkReadDataSource/jobs=10000/rpc state-bytes)
    printf '  state of a 10,000-job read, msgpack of ReadDataSource in process: %s bytes / %s bytes before (%s): %sx\n' \
      "$msgpack_bytes" "$was_msgpack" "$baseline" "$(awk -v a="$msgpack_bytes" -v b="$was_msgpack" 'BEGIN { printf "%.3f", a / b }')"
  else
    printf '  state of a 10,000-job read, terraform.tfstate after terraform apply: %s bytes; before: skipped (no baseline), no verdict\n' \
      "$(tfstate_bytes current)"
    printf '  state of a 10,000-job read, msgpack of ReadDataSource in process: %s bytes\n' "$msgpack_bytes"
  fi
  for latency in $e2e_latencies; do
    r=$(e2e_ratio current "$latency")
    printf '  terraform plan, 10,000 jobs, %s per request: total / Terraform'"'"'s own share: %.2fx (goal <= 1.5: %s)%s\n' \
      "$latency" "$r" "$(verdict "$r" "<=" 1.5)" "$(before '%.2fx' e2e_ratio baseline "$latency")"
  done
  limit_ratio=$(bucket_ratio current latest_limit1_ms one_job_ms)
  printf '  terraform plan at 50 ms, newest successful export (limit = 1) of 10,000 jobs / of a 1-job cluster: %.2fx (goal <= 1.3: %s)%s\n' \
    "$limit_ratio" "$(verdict "$limit_ratio" "<=" 1.3)" "$(before '%.2fx' bucket_ratio baseline latest_limit1_ms one_job_ms)"
  bucket_cost=$(bucket_ratio current full_resolved_ms full_unresolved_ms)
  printf '  terraform plan at 50 ms, 10,000 jobs in three buckets, buckets resolved / resolve_export_buckets = false: %.2fx (goal <= 1.1: %s)%s\n' \
    "$bucket_cost" "$(verdict "$bucket_cost" "<=" 1.1)" "$(before '%.2fx' bucket_ratio baseline full_resolved_ms full_unresolved_ms)"
  printf '  terraform plan at 50 ms, 10,000 jobs, waiting for the export buckets once the list is in: %s ms%s\n' \
    "$(bucket_median current buckets_after_list_ms)" "$(before '%s ms' bucket_median baseline buckets_after_list_ms)"
  printf '  terraform plan at 50 ms, 10,000 jobs, order_by = "snapshot_created_at" / the default created_at: %.2fx\n' \
    "$(bucket_ratio current full_by_snapshot_ms full_resolved_ms)"
} | tee "$out/ratios.txt"

# ---- the action's wait (issue 20) -----------------------------------------
# terraform apply -invoke of atlasexports_export_snapshot against the sandbox,
# whose export jobs run on the wall clock for 8 s, 30 s and 90 s, with the
# provider as released (its own polling pace): the requests per minute of
# waiting and the delay between the job's end and the action's end message.
# It needs a terraform with actions: the pinned TERRAFORM_NEWEST, built on
# first use. About 3 minutes. Run alone:
#   make "$PWD/build/tools/terraform-1.16.4" && ATLASEXPORTS_BENCH_ACTION=1 TF_ACC=1 \
#     TF_ACC_TERRAFORM_PATH=$PWD/build/tools/terraform-1.16.4 \
#     go test -count=1 -v -run '^TestBenchActionWait$' ./internal/provider
newest=$(sed -n 's/^TERRAFORM_NEWEST := //p' GNUmakefile)
make --no-print-directory "$root/build/tools/terraform-$newest" >/dev/null
echo "==> action-wait: terraform $newest apply -invoke, exports of 8 s, 30 s and 90 s"
load "before action-wait"
if ! ATLASEXPORTS_BENCH_ACTION=1 TF_ACC=1 TF_ACC_TERRAFORM_PATH="$root/build/tools/terraform-$newest" \
  go test -count=1 -v -timeout 10m -run '^TestBenchActionWait$' ./internal/provider >"$out/action-wait.txt" 2>&1; then
  cat "$out/action-wait.txt" >&2
  echo "benchmark action-wait failed" >&2
  exit 1
fi
load "after action-wait"
{
  echo "The action's wait (terraform $newest apply -invoke, the sandbox's exports on the wall clock):"
  grep '^action-wait ' "$out/action-wait.txt" | sed 's/^/  /'
} | tee -a "$out/ratios.txt"
