#!/usr/bin/env bash
# Lake on S3 benchmark (issue 14): the same `imednet export parquet --all-studies` of the same
# synthetic records into a local lake and into s3://bench/lake on a local S3-compatible server
# (S3Proxy, its own JVM, storing objects as files under the work directory), alternating
# local, S3, local, S3, …; prints both wall times, records/s and the ratio S3 ÷ local, beside
# each other. Every run's lake must hold exactly the records fetched (the S3 lake is counted by
# `imednet lake query s3://…`, which copies it to a temporary folder and reads it with DuckDB).
#
#   runners/bench/lake-s3-benchmark.sh              # 500,000 records, 2 runs each (~5 minutes)
#   QUICK=1 runners/bench/lake-s3-benchmark.sh      # 50,000 records, 1 run each, a smoke run
#
# Environment: RECORDS (default 500000; QUICK=1: 50000), REPS (2; QUICK=1: 1), FORMS (20),
# VARS (30), SEED (42), EXPORT_ARGS (extra exporter arguments for every run), S3_JAVA_OPTS (JVM
# options of the S3 server, default -Xmx1g), RESULTS_FILE; and those of bench-lib.sh (KEEP,
# PROFILE, BENCH_SKIP_BUILD, BENCH_BUILD_SUFFIX, IMEDNET_JAVA_OPTS, EMULATOR_JAVA_OPTS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-50000}"
  REPS="${REPS:-1}"
fi
RECORDS="${RECORDS:-500000}"
REPS="${REPS:-2}"
FORMS="${FORMS:-20}"
VARS="${VARS:-30}"
SEED="${SEED:-42}"
read -r -a EXPORT_EXTRA <<<"${EXPORT_ARGS:-}"

bench_init lake-s3-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build

# --- the S3 server -----------------------------------------------------------------------------

log "resolving the S3Proxy class path (runners/bench/s3proxy/pom.xml)"
S3_POM=(-B -q -f "$BENCH_DIR/s3proxy/pom.xml" dependency:build-classpath
  "-Dmdep.outputFile=$WORK/s3proxy.cp")
mvn -o "${S3_POM[@]}" >"$WORK/s3proxy-cp.log" 2>&1 ||
  mvn "${S3_POM[@]}" >>"$WORK/s3proxy-cp.log" 2>&1 ||
  { tail -n 20 "$WORK/s3proxy-cp.log" >&2; die "could not resolve S3Proxy's class path"; }
S3_PORT="$(free_port)"
mkdir -p "$WORK/s3/bench"
# The benchmark's own throwaway keys; the exporter finds them through the AWS default chain
# (environment), never on its command line.
export AWS_ACCESS_KEY_ID=bench-access-key
export AWS_SECRET_ACCESS_KEY=bench-secret-key
(umask 077 && cat >"$WORK/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem-nio2
jclouds.identity=identity
jclouds.credential=credential
jclouds.filesystem.basedir=$WORK/s3
CONF
)
# shellcheck disable=SC2086
(exec java ${S3_JAVA_OPTS:--Xmx1g} -cp "$(cat "$WORK/s3proxy.cp")" org.gaul.s3proxy.Main \
  --properties "$WORK/s3proxy.conf" >"$WORK/s3proxy.log" 2>&1) &
S3_PID=$!
BG_PIDS+=("$S3_PID")
wait_for_port "$S3_PORT" "$S3_PID" "S3Proxy"
log "S3Proxy (filesystem-nio2 under $WORK/s3) on 127.0.0.1:$S3_PORT, pid $S3_PID"
S3_ARGS=("--endpoint=http://127.0.0.1:$S3_PORT" --awsRegion=us-east-1
  --s3ClientFactoryClass=org.imednet.export.sinks.parquet.PathStyleS3ClientBuilderFactory)

# --- the runs ----------------------------------------------------------------------------------

start_emulator lake "$SEED,1,$FORMS,$VARS,$RECORDS"
warm_emulator lake

s3_rows() {
  IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" lake query s3://bench/lake \
    "SELECT count(*) AS n FROM lake" "${S3_ARGS[@]}" 2>"$WORK/s3-query.err" | sed -n 2p
}

LOCAL_MS=()
S3_MS=()
LOCAL_RSS=()
S3_RSS=()
for ((i = 1; i <= REPS; i++)); do
  run_export "local$i" export parquet --all-studies --lake "$WORK/local$i.lake" \
    --env-file "$WORK/lake.env" --progress none "${EXPORT_EXTRA[@]}"
  [[ $RUN_OK == 1 ]] || die "local run $i failed: $RUN_ERROR"
  check_run "local$i" "$RECORDS" "$WORK/local$i.lake"
  LOCAL_MS+=("$RUN_WALL_MS")
  LOCAL_RSS+=("$RUN_RSS_KB")
  rm -rf "$WORK/local$i.lake" "$WORK/local$i.lake_metadata"

  run_export "s3_$i" export parquet --all-studies --lake s3://bench/lake \
    --env-file "$WORK/lake.env" --progress none "${S3_ARGS[@]}" "${EXPORT_EXTRA[@]}"
  [[ $RUN_OK == 1 ]] || die "S3 run $i failed: $RUN_ERROR"
  check_run "s3_$i" "$RECORDS"
  rows="$(s3_rows)"
  [[ "$rows" == "$RECORDS" ]] || die "s3 run $i: the S3 lake has '$rows' rows, expected $RECORDS"
  S3_MS+=("$RUN_WALL_MS")
  S3_RSS+=("$RUN_RSS_KB")
done
stop_emulator

best() { printf '%s\n' "$@" | sort -n | head -n1; }
LOCAL_BEST="$(best "${LOCAL_MS[@]}")"
S3_BEST="$(best "${S3_MS[@]}")"
row "local lake: wall ms (best of $REPS)" "$LOCAL_BEST" "baseline" \
  "all: ${LOCAL_MS[*]} ms; $(per_second "$RECORDS" "$LOCAL_BEST") records/s; peak RSS $(mib "$(best "${LOCAL_RSS[@]}")") MiB"
row "s3:// lake (S3Proxy): wall ms (best of $REPS)" "$S3_BEST" "" \
  "all: ${S3_MS[*]} ms; $(per_second "$RECORDS" "$S3_BEST") records/s; peak RSS $(mib "$(best "${S3_RSS[@]}")") MiB"
row "ratio s3 ÷ local (best runs)" "$(ratio "$S3_BEST" "$LOCAL_BEST")" "" \
  "same records, same exporter, alternating runs"
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$(loadavg)" "" ""
print_table "lake on S3 benchmark: $FORMS forms x $VARS variables, $RECORDS records, exporter args '${EXPORT_ARGS:-}' ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
