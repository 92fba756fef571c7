#!/usr/bin/env bash
# Snowflake benchmark (issue 3): rows/s of `imednet export snowflake` against the local Snowflake
# emulator (org.imednet.export.testdata.snowflake.SnowflakeEmulator, its own JVM, DuckDB-backed),
# beside the lake path (`imednet export parquet`) on the same synthetic study, in one run, and the
# ratio. Both read from the iMednet emulator (its own JVM, no latency) on the DirectRunner.
#
#   runners/bench/snowflake-benchmark.sh           # 200,000 records
#   QUICK=1 runners/bench/snowflake-benchmark.sh   # 20,000 records
#
# Rows/s is form rows loaded (counted in the emulator's tables after the run, and checked against
# RECORDS) over the export JVM's wall time, start to exit. The Snowflake password is generated per
# run and reaches both JVMs through the environment or an env file, never a command line.
#
# Environment: RECORDS (default 200000; QUICK=1: 20000), FORMS (20), VARS (30), SEED (42),
# EXPORT_ARGS (extra exporter arguments for both runs, e.g. "--runner flink --parallelism=2"),
# SNOWFLAKE_EXPORT_ARGS (extra arguments for the Snowflake export, e.g. "--batch-size 50000"),
# RESULTS_FILE, and those of bench-lib.sh (KEEP, PROFILE, BENCH_SKIP_BUILD, BENCH_BUILD_SUFFIX,
# IMEDNET_JAVA_OPTS, EMULATOR_JAVA_OPTS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-20000}"
fi
RECORDS="${RECORDS:-200000}"
FORMS="${FORMS:-20}"
VARS="${VARS:-30}"
SEED="${SEED:-42}"
SPEC="$SEED,1,$FORMS,$VARS,$RECORDS"
read -r -a EXPORT_EXTRA <<<"${EXPORT_ARGS:-}"
read -r -a SNOWFLAKE_EXTRA <<<"${SNOWFLAKE_EXPORT_ARGS:-}"

bench_init snowflake-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build

# --- the lake path ---------------------------------------------------------------------------------

start_emulator lake "$SPEC"
run_export lake export parquet --all-studies --lake "$WORK/lake" --env-file "$WORK/lake.env" \
  --progress none "${EXPORT_EXTRA[@]}"
stop_emulator
check_run lake "$RECORDS" "$WORK/lake"
LAKE_OK=$RUN_OK
LAKE_ERROR="$RUN_ERROR"
LAKE_MS=$RUN_WALL_MS
LAKE_RSS=$RUN_RSS_KB
[[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK/lake"

# --- the Snowflake path ----------------------------------------------------------------------------

SF_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
SF_PID=""
stop_snowflake() {
  if [[ -n "$SF_PID" ]]; then
    stop_pid "$SF_PID"
    SF_PID=""
  fi
}
CLEANUP_HOOKS+=(stop_snowflake)

# exec: $! is the JVM, so SIGTERM reaches it and it writes its table counts.
# shellcheck disable=SC2086
(export SNOWFLAKE_USER=bench_loader SNOWFLAKE_PASSWORD="$SF_PASSWORD"
  exec java ${EMULATOR_JAVA_OPTS:--Xmx2g} -cp "$TOOL_CP" org.imednet.export.bench.BenchTool \
    snowflake-emulator "$WORK/snowflake" "$WORK/snowflake.port" "$WORK/snowflake.tables" \
    >"$WORK/snowflake-emulator.log" 2>&1) &
SF_PID=$!
deadline=$(($(now_ms) + 120000))
until [[ -s "$WORK/snowflake.port" ]]; do
  kill -0 "$SF_PID" 2>/dev/null ||
    { tail -n 20 "$WORK/snowflake-emulator.log" >&2; die "the Snowflake emulator exited"; }
  (($(now_ms) < deadline)) || die "the Snowflake emulator did not start within 120 s"
  sleep 0.2
done
log "Snowflake emulator up ($(tr '\n' ' ' <"$WORK/snowflake.port")), pid $SF_PID"

start_emulator snowflake "$SPEC"
umask 077
{
  cat "$WORK/snowflake.env"
  cat "$WORK/snowflake.port"
  cat <<EOF
SNOWFLAKE_USER=bench_loader
SNOWFLAKE_PASSWORD=$SF_PASSWORD
SNOWFLAKE_DATABASE=BENCH
SNOWFLAKE_SCHEMA=RAW
SNOWFLAKE_WAREHOUSE=BENCH_WH
SNOWFLAKE_STAGE=BENCH_STAGE
SNOWFLAKE_HOST=127.0.0.1
SNOWFLAKE_PROTOCOL=http
EOF
} >"$WORK/snowflake-export.env"
umask 022
run_export snowflake export snowflake --all-studies --env-file "$WORK/snowflake-export.env" \
  --progress none --manifest-path "$WORK/manifest.jsonl" "${EXPORT_EXTRA[@]}" "${SNOWFLAKE_EXTRA[@]}"
stop_emulator
check_run snowflake "$RECORDS"
SF_OK=$RUN_OK
SF_MS=$RUN_WALL_MS
SF_RSS=$RUN_RSS_KB
stop_snowflake
if [[ $SF_OK == 1 ]]; then
  [[ -s "$WORK/snowflake.tables" ]] || die "the Snowflake emulator wrote no table counts"
  # Form tables are STUDY_FORM (SYN001_F001...); metadata tables are STUDY_META_*.
  SF_ROWS="$(awk -F= '$1 !~ /_META_/ { n += $2 } END { print n + 0 }' "$WORK/snowflake.tables")"
  [[ "$SF_ROWS" == "$RECORDS" ]] ||
    die "the Snowflake form tables hold $SF_ROWS rows, expected $RECORDS (see $WORK/snowflake.tables)"
fi

LAKE_RPS="$(per_second "$RECORDS" "$LAKE_MS")"
SF_RPS="$(per_second "$RECORDS" "$SF_MS")"
if [[ $LAKE_OK == 1 ]]; then
  row "lake (export parquet): rows/s" "$LAKE_RPS" "" \
    "$RECORDS rows in $LAKE_MS ms, peak RSS $(mib "$LAKE_RSS") MiB"
else
  row "lake (export parquet): rows/s" FAILED "" "after $LAKE_MS ms: $LAKE_ERROR"
fi
if [[ $SF_OK == 1 ]]; then
  row "Snowflake emulator (export snowflake): rows/s" "$SF_RPS" "" \
    "$RECORDS rows in $SF_MS ms, peak RSS $(mib "$SF_RSS") MiB"
else
  row "Snowflake emulator (export snowflake): rows/s" FAILED "" "after $SF_MS ms: $RUN_ERROR"
fi
if [[ $LAKE_OK == 1 && $SF_OK == 1 ]]; then
  row "ratio Snowflake / lake" "$(ratio "$SF_RPS" "$LAKE_RPS")" "" ""
fi
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$(loadavg)" "" ""
print_table "Snowflake benchmark: $FORMS forms x $VARS variables, $RECORDS records, exporter args '${EXPORT_ARGS:-}' ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
