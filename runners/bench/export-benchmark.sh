#!/usr/bin/env bash
# Export benchmark (issue 2): one run, one table.
#
#  (a) records/s of `imednet export parquet --all-studies --lake DIR` (embedded Flink, the laptop
#      default) from the iMednet emulator (separate JVM, no latency, warmed up by an untimed
#      export of one form, as the real API is a long-running server), beside DuckDB's own
#      read_json → COPY … (FORMAT parquet, PARTITION_BY (study_key, form_key)) of the same records
#      as NDJSON (DuckDB in process via JDBC; only that statement is timed), and the ratio;
#  (b) peak RSS of the export JVM (/usr/bin/time -v) at RECORDS and 2 × RECORDS;
#  (c) with 200 ms latency per request and a 20 requests/s budget on the emulator, the requests/s
#      the exporter sustains (emulator request count / export wall time) and the 429s it drew.
#
#   runners/bench/export-benchmark.sh              # 1,000,000 records (about 10 minutes)
#   QUICK=1 runners/bench/export-benchmark.sh      # 10x smaller, a smoke run
#
# Environment: RECORDS (default 1000000; QUICK=1: 100000), RECORDS_2 (default 2 × RECORDS), FORMS
# (20), VARS (30), SEED (42), LATENCY_RECORDS (default 300000, a 30-60 s run; QUICK=1: 30000),
# LATENCY_MS (200), EMULATOR_RPS (20), EXPORT_RPS (20), EXPORT_CONCURRENCY (8),
# EXPORT_ARGS (extra exporter arguments for every run, e.g. "--runner flink --parallelism=2"),
# LATENCY_EXPORT_ARGS (extra exporter arguments for (c), default EXPORT_ARGS), LATENCY_JAVA_OPTS (JVM options of the
# export in (c), default IMEDNET_JAVA_OPTS), SKIP_A / SKIP_B / SKIP_C=1,
# RESULTS_FILE (append the table there), DUCKDB_THREADS, WARM_EMULATOR=0 (time against a cold
# emulator, as before the fifth session); and those of bench-lib.sh (KEEP, PROFILE,
# BENCH_SKIP_BUILD, BENCH_BUILD_SUFFIX, IMEDNET_JAVA_OPTS, EMULATOR_JAVA_OPTS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-100000}"
  LATENCY_RECORDS="${LATENCY_RECORDS:-30000}"
fi
RECORDS="${RECORDS:-1000000}"
RECORDS_2="${RECORDS_2:-$((2 * RECORDS))}"
LATENCY_RECORDS="${LATENCY_RECORDS:-300000}"
FORMS="${FORMS:-20}"
VARS="${VARS:-30}"
SEED="${SEED:-42}"
LATENCY_MS="${LATENCY_MS:-200}"
EMULATOR_RPS="${EMULATOR_RPS:-20}"
EXPORT_RPS="${EXPORT_RPS:-20}"
EXPORT_CONCURRENCY="${EXPORT_CONCURRENCY:-8}"
read -r -a EXPORT_EXTRA <<<"${EXPORT_ARGS:-}"
read -r -a LATENCY_EXTRA <<<"${LATENCY_EXPORT_ARGS:-${EXPORT_ARGS:-}}"

spec() { echo "$SEED,1,$FORMS,$VARS,$1"; }

bench_init export-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build

# --- (a) exporter vs DuckDB, and (b) peak RSS at RECORDS ----------------------------------------

# lake_export NAME RECORDS: one `export parquet` from a fresh emulator; sets the RUN_* variables.
lake_export() {
  local name="$1" records="$2"
  start_emulator "$name" "$(spec "$records")"
  warm_emulator "$name"
  run_export "$name" export parquet --all-studies --lake "$WORK/$name.lake" \
    --env-file "$WORK/$name.env" --progress none "${EXPORT_EXTRA[@]}"
  stop_emulator
  RUN_EMU_NOTE="emulator $([[ "${WARM_EMULATOR:-1}" == 1 ]] && echo warmed || echo cold), $(awk \
    -v a="$EMU_CPU_S" -v b="$EMU_CPU_WARM_S" 'BEGIN {printf "%.1f", a - b}') CPU-s in the run"
  check_run "$name" "$records" "$WORK/$name.lake"
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK/$name.lake"
}

failed_note() { echo "FAILED after $RUN_WALL_MS ms: $RUN_ERROR"; }

if [[ "${SKIP_A:-0}" != 1 || "${SKIP_B:-0}" != 1 ]]; then
  lake_export lake-1 "$RECORDS"
  OK_1=$RUN_OK
  EXPORT_MS=$RUN_WALL_MS
  RSS_1=$RUN_RSS_KB
  NOTE_1="$(failed_note)"
  EMU_NOTE_1="$RUN_EMU_NOTE"
fi

if [[ "${SKIP_A:-0}" != 1 ]]; then
  log "writing $RECORDS records as NDJSON (not timed)"
  bench_tool ndjson "$(spec "$RECORDS")" "$WORK/records.ndjson" >"$WORK/ndjson.log"
  log "DuckDB read_json -> COPY PARTITION_BY (study_key, form_key)"
  DUCK_OUT="$(bench_tool duckdb-copy "$WORK/records.ndjson" "$WORK/duckdb-lake")"
  DUCK_ROWS="$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$DUCK_OUT")"
  DUCK_MS="$(sed -n 's/.*millis=\([0-9]*\).*/\1/p' <<<"$DUCK_OUT")"
  [[ "$DUCK_ROWS" == "$RECORDS" ]] || die "DuckDB wrote $DUCK_ROWS rows, expected $RECORDS"
  rm -rf "$WORK/records.ndjson" "$WORK/duckdb-lake"
  DUCK_RPS="$(per_second "$RECORDS" "$DUCK_MS")"
  if [[ $OK_1 == 1 ]]; then
    EXPORT_RPS_A="$(per_second "$RECORDS" "$EXPORT_MS")"
    RATIO_A="$(ratio "$EXPORT_RPS_A" "$DUCK_RPS")"
    row "(a) imednet export parquet, records/s" "$EXPORT_RPS_A" "" \
      "$RECORDS records in $EXPORT_MS ms (JVM start to exit; $EMU_NOTE_1)"
  else
    RATIO_A=0
    row "(a) imednet export parquet, records/s" FAILED "" "$NOTE_1"
  fi
  row "(a) DuckDB read_json -> COPY parquet, records/s" "$DUCK_RPS" "" \
    "$RECORDS records in $DUCK_MS ms"
  row "(a) ratio imednet / DuckDB" "$([[ $OK_1 == 1 ]] && echo "$RATIO_A" || echo -)" ">= 0.25" \
    "$(verdict "$OK_1 == 1 && $RATIO_A >= 0.25")"
fi

# --- (b) peak RSS at RECORDS_2 -----------------------------------------------------------------

if [[ "${SKIP_B:-0}" != 1 && $OK_1 == 0 ]]; then
  row "(b) peak RSS, $RECORDS records (MiB)" "$(mib "$RSS_1")" "<= 2048" "MISS  $NOTE_1"
  row "(b) peak RSS, $RECORDS_2 records (MiB)" "not run" "<= 2048" "MISS  ($RECORDS failed)"
elif [[ "${SKIP_B:-0}" != 1 ]]; then
  lake_export lake-2 "$RECORDS_2"
  OK_2=$RUN_OK
  RSS_2=$RUN_RSS_KB
  RSS_RATIO="$(ratio "$RSS_2" "$RSS_1")"
  row "(b) peak RSS, $RECORDS records (MiB)" "$(mib "$RSS_1")" "<= 2048" \
    "$(verdict "$OK_1 == 1 && $RSS_1 <= 2097152")$([[ $OK_1 == 1 ]] || echo "  $NOTE_1")"
  if [[ $OK_2 == 1 ]]; then
    note2="($(per_second "$RECORDS_2" "$RUN_WALL_MS") records/s)"
  else
    note2="$(failed_note)"
  fi
  row "(b) peak RSS, $RECORDS_2 records (MiB)" "$(mib "$RSS_2")" "<= 2048" \
    "$(verdict "$OK_2 == 1 && $RSS_2 <= 2097152")  $note2"
  row "(b) RSS ratio $RECORDS_2 / $RECORDS" "$RSS_RATIO" "<= 1.20" \
    "$(verdict "$OK_1 == 1 && $OK_2 == 1 && $RSS_RATIO <= 1.2")"
fi

# --- (c) latency and a request budget ----------------------------------------------------------

if [[ "${SKIP_C:-0}" != 1 ]]; then
  start_emulator latency "$(spec "$LATENCY_RECORDS")" --latency-ms "$LATENCY_MS" --rps "$EMULATOR_RPS"
  IMEDNET_JAVA_OPTS="${LATENCY_JAVA_OPTS:-${IMEDNET_JAVA_OPTS:-}}" \
    run_export latency export parquet --all-studies --lake "$WORK/latency.lake" \
    --env-file "$WORK/latency.env" --progress none \
    --requests-per-second "$EXPORT_RPS" --max-concurrent-requests "$EXPORT_CONCURRENCY" \
    "${LATENCY_EXTRA[@]}"
  stop_emulator
  check_run latency "$LATENCY_RECORDS"
  OK_C=$RUN_OK
  REQUESTS="$(json_field "$EMU_STATS" requests)"
  TOO_MANY="$(json_field "$EMU_STATS" status429)"
  FIRST="$(json_field "$EMU_STATS" firstRequestMillis)"
  LAST="$(json_field "$EMU_STATS" lastRequestMillis)"
  RETRIED="$(sed -n 's/.*; \([0-9][0-9]*\) API requests retried.*/\1/p' "$WORK/latency.out" | tail -n1)"
  REQ_RATE="$(printf '%.1f' "$(calc "$REQUESTS * 1000 / $RUN_WALL_MS")")"
  ACTIVE_RATE="$(printf '%.1f' "$(calc "$REQUESTS * 1000 / ($LAST - $FIRST + 1)")")"
  row "(c) requests/s, count / export wall time" "$REQ_RATE" ">= 15" \
    "$(verdict "$OK_C == 1 && $REQ_RATE >= 15")  ($REQUESTS requests in $RUN_WALL_MS ms)"
  row "(c) requests/s, first to last request" "$ACTIVE_RATE" "" \
    "$((LAST - FIRST)) ms between first and last request"
  row "(c) 429 responses from the emulator" "$TOO_MANY" "<= 5% of reqs" \
    "$(verdict "$TOO_MANY <= 0.05 * $REQUESTS")  (exporter retried ${RETRIED:-?})"
  if [[ $OK_C == 1 ]]; then
    row "(c) records/s at ${LATENCY_MS} ms, ${EMULATOR_RPS} req/s" \
      "$(per_second "$LATENCY_RECORDS" "$RUN_WALL_MS")" "" "$LATENCY_RECORDS records"
  else
    row "(c) records/s at ${LATENCY_MS} ms, ${EMULATOR_RPS} req/s" FAILED "" "$(failed_note)"
  fi
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK/latency.lake"
fi

LOAD_AFTER="$(loadavg)"
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$LOAD_AFTER" "" ""
print_table "export benchmark: $FORMS forms x $VARS variables, $RECORDS records, exporter args '${EXPORT_ARGS:-}' ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
