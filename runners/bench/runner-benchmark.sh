#!/usr/bin/env bash
# Runner benchmark (issue 4): records/s and peak RSS of the same lake export
# (`imednet export parquet --all-studies --lake DIR`, iMednet emulator in its own JVM, no latency)
# on the DirectRunner, on Flink [local] (--runner flink --parallelism=2, in the export JVM) and on
# a real Flink 1.19 session cluster (runners/flink-cluster/start-cluster.sh on free ports; the job
# is the shaded jar from -Pbundle, staged with --filesToStage), side by side, with ratios against
# the DirectRunner.
#
#   runners/bench/runner-benchmark.sh              # 1,000,000 records
#   QUICK=1 runners/bench/runner-benchmark.sh      # 100,000 records
#
# Time is the export JVM's wall time, start to exit (for the cluster: submission to result; the
# cluster's own start-up is shown on its own line). Peak RSS is /usr/bin/time -v of the export JVM;
# for the cluster also the TaskManager's and JobManager's VmHWM (peak RSS) read from /proc when
# the job has finished.
#
# Environment: RECORDS (default 1000000; QUICK=1: 100000), FORMS (20), VARS (30), SEED (42),
# PARALLELISM (2), RUNNERS (default "direct flink-local flink-cluster"), EXPORT_ARGS (extra
# exporter arguments for every run), EMULATOR_ARGS (extra emulator arguments, e.g. "--latency-ms
# 200"), FLINK_TM_MEMORY /
# FLINK_JM_MEMORY (cluster process sizes, default from runners/flink-cluster/conf), RESULTS_FILE,
# and those of bench-lib.sh (KEEP, PROFILE, BENCH_SKIP_BUILD, BENCH_BUILD_SUFFIX,
# IMEDNET_JAVA_OPTS, EMULATOR_JAVA_OPTS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-100000}"
fi
RECORDS="${RECORDS:-1000000}"
FORMS="${FORMS:-20}"
VARS="${VARS:-30}"
SEED="${SEED:-42}"
PARALLELISM="${PARALLELISM:-2}"
RUNNERS="${RUNNERS:-direct flink-local flink-cluster}"
SPEC="$SEED,1,$FORMS,$VARS,$RECORDS"
BUNDLE_JAR="$REPO_DIR/runners/target$BENCH_BUILD_SUFFIX/imednet-export-bundled.jar"

bench_init runner-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build

if [[ " $RUNNERS " == *" flink-cluster "* ]]; then
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 || ! -f "$BUNDLE_JAR" ]]; then
    log "building the shaded job jar (runners -Pbundle) into runners/target$BENCH_BUILD_SUFFIX"
    bundle_args=(-B -q -DskipTests -Dspotless.check.skip=true "-DbuildDirSuffix=$BENCH_BUILD_SUFFIX"
      -Pbundle -pl runners -am package)
    (cd "$REPO_DIR" && { mvn -o "${bundle_args[@]}" >"$WORK/bundle.log" 2>&1 ||
      mvn "${bundle_args[@]}" >>"$WORK/bundle.log" 2>&1; }) ||
      { tail -n 30 "$WORK/bundle.log" >&2; die "bundle build failed, see $WORK/bundle.log"; }
  fi
  [[ -f "$BUNDLE_JAR" ]] || die "no job jar at $BUNDLE_JAR"
fi

# --- the Flink session cluster -----------------------------------------------------------------

CLUSTER_RUN_DIR="$WORK/flink-run"
CLUSTER_UP=0
stop_cluster() {
  if [[ $CLUSTER_UP == 1 ]]; then
    FLINK_RUN_DIR="$CLUSTER_RUN_DIR" BUILD_DIR_SUFFIX="$BENCH_BUILD_SUFFIX" \
      "$REPO_DIR/runners/flink-cluster/stop-cluster.sh" || true
    CLUSTER_UP=0
  fi
}
CLEANUP_HOOKS+=(stop_cluster)

start_cluster() {
  local rest rpc started
  rest="$(free_port)"
  rpc="$(free_port "$rest")"
  started=$(now_ms)
  CLUSTER_UP=1
  FLINK_MASTER="$(FLINK_REST_PORT=$rest FLINK_RPC_PORT=$rpc FLINK_RUN_DIR="$CLUSTER_RUN_DIR" \
    BUILD_DIR_SUFFIX="$BENCH_BUILD_SUFFIX" "$REPO_DIR/runners/flink-cluster/start-cluster.sh" \
    2>"$WORK/flink-cluster-start.log")" ||
    { cat "$WORK/flink-cluster-start.log" >&2; die "the Flink session cluster did not start"; }
  CLUSTER_START_MS=$(($(now_ms) - started))
  log "Flink session cluster at $FLINK_MASTER (up in $CLUSTER_START_MS ms)"
}

# Peak RSS (VmHWM, KiB) of the cluster JVM whose pid is in the run directory.
cluster_hwm_kb() {
  local pid
  pid="$(<"$CLUSTER_RUN_DIR/pid/$1.pid")"
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"
}

# --- the runs ------------------------------------------------------------------------------------

declare -A OK MS RSS EXTRA REQS
for runner in $RUNNERS; do
  case "$runner" in
    direct) args=(--runner direct) ;;
    flink-local) args=(--runner flink "--parallelism=$PARALLELISM") ;;
    flink-cluster)
      start_cluster
      args=(--runner flink "--flinkMaster=$FLINK_MASTER" "--parallelism=$PARALLELISM"
        "--filesToStage=$BUNDLE_JAR")
      ;;
    *) die "unknown runner '$runner' in RUNNERS (direct, flink-local, flink-cluster)" ;;
  esac
  read -r -a emulator_extra <<<"${EMULATOR_ARGS:-}"
  start_emulator "$runner" "$SPEC" "${emulator_extra[@]}"
  read -r -a extra <<<"${EXPORT_ARGS:-}"
  run_export "$runner" export parquet --all-studies --lake "$WORK/$runner.lake" \
    --env-file "$WORK/$runner.env" --progress none "${args[@]}" "${extra[@]}"
  stop_emulator
  REQS[$runner]="$(json_field "$EMU_STATS" requests)"
  check_run "$runner" "$RECORDS" "$WORK/$runner.lake"
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK/$runner.lake"
  OK[$runner]=$RUN_OK
  MS[$runner]=$RUN_WALL_MS
  RSS[$runner]=$RUN_RSS_KB
  EXTRA[$runner]=""
  [[ $RUN_OK == 1 ]] || EXTRA[$runner]="FAILED after $RUN_WALL_MS ms: $RUN_ERROR"
  if [[ "$runner" == flink-cluster ]]; then
    tm="$(cluster_hwm_kb taskmanager)"
    jm="$(cluster_hwm_kb jobmanager)"
    EXTRA[$runner]="${EXTRA[$runner]} client JVM; TaskManager $(mib "$tm") MiB, JobManager $(mib "$jm") MiB"
    stop_cluster
  fi
done

base=""
[[ "${OK[direct]:-0}" == 1 ]] && base="${MS[direct]}"
for runner in $RUNNERS; do
  if [[ ${OK[$runner]} == 1 ]]; then
    rps="$(per_second "$RECORDS" "${MS[$runner]}")"
    vs=""
    [[ -n "$base" ]] && vs="x$(ratio "$base" "${MS[$runner]}") vs direct"
    row "$runner: records/s" "$rps" "" "$vs  ($RECORDS records in ${MS[$runner]} ms)"
    row "$runner: API requests/s" \
      "$(awk -v n="${REQS[$runner]:-0}" -v ms="${MS[$runner]}" 'BEGIN { printf "%.1f", n * 1000 / ms }')" "" \
      "${REQS[$runner]:-?} requests in ${MS[$runner]} ms"
  else
    row "$runner: records/s" FAILED "" "after ${MS[$runner]} ms"
  fi
  rss_vs=""
  [[ -n "$base" ]] && rss_vs="x$(ratio "${RSS[$runner]}" "${RSS[direct]}") vs direct"
  row "$runner: peak RSS of the export JVM (MiB)" "$(mib "${RSS[$runner]}")" "" \
    "$rss_vs ${EXTRA[$runner]}"
done
[[ -n "${CLUSTER_START_MS:-}" ]] &&
  row "flink-cluster: cluster start-up (ms, not counted)" "$CLUSTER_START_MS" "" ""

row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$(loadavg)" "" ""
print_table "runner benchmark: $FORMS forms x $VARS variables, $RECORDS records, parallelism $PARALLELISM ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
