#!/usr/bin/env bash
# Record history benchmark (issue 12): one run, one table.
#
#  (1) `imednet ingest-revisions SYN001 DB` of a synthetic study on day 1 (RECORDS records, FORMS
#      forms x VARS variables) with a window covering every day-1 record (2024-01-01 to the day of
#      the latest day-1 dateModified, computed from SyntheticStudyData's layout): wall time (JVM
#      start to exit), records fetched against the API's total, bronze value rows inserted, peak
#      RSS of the JVM (/usr/bin/time -v), the emulator's requests and CPU in the run;
#  (2) the emulator restarted with the seven-field spec SEED,1,FORMS,VARS,RECORDS,CHANGE_EVERY,2
#      (the same study on day 2: about one record in CHANGE_EVERY changed, dateModified
#      2120-01-02 12:00:00) and `ingest-revisions` of the window 2120-01-01..2120-01-31 into the
#      same DB: wall time, records fetched, and the ratios records fetched (2) / (1) (goal <= 0.02)
#      and wall (2) / wall (1) (goal <= 0.1);
#  (3) `imednet build-silver SYN001 DB` on that DB: wall time, peak RSS, and the silver row count
#      checked against an independent query over bronze (each record's latest version by rank,
#      not deleted, non-blank values).
#
# Each emulator (its own JVM, no latency) is warmed up by an untimed one-form export first, as in
# export-benchmark.sh: the real API is a long-running server. Its requests in a run are the
# per-second counts of its stats file from the run's start on (the warm-up's are before it).
#
#   runners/bench/history-benchmark.sh             # 1,000,000 records (about 10-15 minutes)
#   QUICK=1 runners/bench/history-benchmark.sh     # 10x smaller, a smoke run
#
# Environment: RECORDS (default 1000000; QUICK=1: 100000), FORMS (20), VARS (30), SEED (42),
# CHANGE_EVERY (100), INGEST_ARGS (extra arguments of both ingest runs, e.g. "--runner direct"),
# RESULTS_FILE (append the table there), WARM_EMULATOR=0 (time against cold emulators); and those
# of bench-lib.sh (KEEP=1 keeps the DuckDB file and the logs, PROFILE=1 records a JFR file per
# run, BENCH_SKIP_BUILD, BENCH_BUILD_SUFFIX, IMEDNET_JAVA_OPTS, EMULATOR_JAVA_OPTS, RUN_TIMEOUT).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-100000}"
fi
RECORDS="${RECORDS:-1000000}"
FORMS="${FORMS:-20}"
VARS="${VARS:-30}"
SEED="${SEED:-42}"
CHANGE_EVERY="${CHANGE_EVERY:-100}"
read -r -a INGEST_EXTRA <<<"${INGEST_ARGS:-}"

STUDY=SYN001
SPEC_1="$SEED,1,$FORMS,$VARS,$RECORDS"
SPEC_2="$SEED,1,$FORMS,$VARS,$RECORDS,$CHANGE_EVERY,2"
# Day-1 timestamps (SyntheticStudyData): record i is created 3i + (0..15) s after
# 2024-01-01T00:00:00Z and modified up to 65,535 s later; changes of day d are dated 2120-01-d.
DAY_1_START=2024-01-01
DAY_1_END="$(date -u -d "@$((1704067200 + 3 * (RECORDS - 1) + 15 + 65535))" +%F)"
DAY_2_START=2120-01-01
DAY_2_END=2120-01-31

bench_init history-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build
DB="$WORK/history.duckdb"

imednet() { IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" "$@"; }

# ingest NAME SPEC START END: a fresh emulator serving SPEC, warmed up, then the timed
# ingest-revisions of the window START..END into $DB; sets the RUN_* variables of run_export and
# API_TOTAL, VALUE_ROWS, VERSIONS, REVISIONS, REQUESTS, EMU_RUN_CPU.
ingest() {
  local name="$1" spec="$2" start="$3" end="$4" started
  start_emulator "$name" "$spec"
  warm_emulator "$name"
  started="$(now_ms)"
  RUN_RECORDS_SED='s/^Records modified in the window: [0-9]* in the API, \([0-9]*\) fetched$/\1/p' \
    run_export "$name" ingest-revisions "$STUDY" "$DB" --start-date "$start" --end-date "$end" \
    --env-file "$WORK/$name.env" --progress none "${INGEST_EXTRA[@]}"
  stop_emulator
  EMU_RUN_CPU="$(awk -v a="$EMU_CPU_S" -v b="$EMU_CPU_WARM_S" 'BEGIN {printf "%.1f", a - b}')"
  REQUESTS="$(requests_since "$started")"
  [[ $RUN_OK == 1 ]] || die "$name failed after $RUN_WALL_MS ms: $RUN_ERROR (see $WORK/$name.err)"
  API_TOTAL="$(sed -n 's/^Records modified in the window: \([0-9]*\) in the API.*/\1/p' \
    "$WORK/$name.out")"
  VALUE_ROWS="$(sed -n 's/^bronze_record_values: inserted \([0-9]*\) value rows of.*/\1/p' \
    "$WORK/$name.out")"
  VERSIONS="$(sed -n 's/^bronze_record_values: .* value rows of \([0-9]*\) record versions$/\1/p' \
    "$WORK/$name.out")"
  REVISIONS="$(sed -n 's/^Inserted \([0-9]*\) revision rows$/\1/p' "$WORK/$name.out")"
  [[ "$RUN_RECORDS" == "$API_TOTAL" ]] ||
    die "$name fetched $RUN_RECORDS records, the API counted $API_TOTAL"
  [[ "$VERSIONS" == "$RUN_RECORDS" ]] ||
    die "$name inserted $VERSIONS record versions for $RUN_RECORDS records fetched"
}

run_note() {
  echo "$(cpu_seconds "$1") CPU-s; emulator $([[ "${WARM_EMULATOR:-1}" == 1 ]] && echo warmed ||
    echo cold), $EMU_RUN_CPU CPU-s in the run"
}

# --- (1) day 1 ---------------------------------------------------------------------------------

log "(1) day 1: $SPEC_1, window $DAY_1_START..$DAY_1_END"
ingest day1 "$SPEC_1" "$DAY_1_START" "$DAY_1_END"
[[ "$RUN_RECORDS" == "$RECORDS" ]] || die "day 1 fetched $RUN_RECORDS records, expected $RECORDS"
WALL_1=$RUN_WALL_MS
FETCHED_1=$RUN_RECORDS
VALUES_1=$VALUE_ROWS
BRONZE_1="$(sql_value "SELECT count(*) FROM bronze_record_values")"
[[ "$BRONZE_1" == "$VALUES_1" ]] || die "bronze holds $BRONZE_1 value rows, day 1 inserted $VALUES_1"
row "(1) day 1 ingest-revisions, wall s" "$(secs "$WALL_1")" "" \
  "window $DAY_1_START..$DAY_1_END; $(run_note day1)"
row "(1) day 1 records fetched" "$FETCHED_1" "= $RECORDS" \
  "$(verdict "$FETCHED_1 == $RECORDS")  (API totalElements $API_TOTAL)"
row "(1) day 1 value rows inserted" "$VALUES_1" "" \
  "$VERSIONS record versions, $REVISIONS revision rows; $(per_second "$VALUES_1" "$WALL_1") rows/s"
row "(1) day 1 peak RSS (MiB)" "$(mib "$RUN_RSS_KB")" "" ""
row "(1) day 1 emulator requests" "$REQUESTS" "" "spec $SPEC_1"
REQUESTS_1=$REQUESTS

# --- (2) day 2 ---------------------------------------------------------------------------------

log "(2) day 2: the emulator restarted with the seven-field spec $SPEC_2"
ingest day2 "$SPEC_2" "$DAY_2_START" "$DAY_2_END"
WALL_2=$RUN_WALL_MS
FETCHED_2=$RUN_RECORDS
CHANGED_2="$(sql_value "SELECT count(DISTINCT record_id) FROM bronze_record_values WHERE study_key = '$STUDY' AND date_modified >= TIMESTAMP '$DAY_2_START 00:00:00'")"
[[ "$CHANGED_2" == "$FETCHED_2" ]] ||
  die "bronze holds $CHANGED_2 records changed on day 2, day 2 fetched $FETCHED_2"
row "(2) day 2 ingest-revisions, wall s" "$(secs "$WALL_2")" "" \
  "emulator restarted with $SPEC_2 (day 2); window $DAY_2_START..$DAY_2_END; $(run_note day2)"
row "(2) day 2 records fetched" "$FETCHED_2" "= API total" \
  "$(verdict "$FETCHED_2 == $API_TOTAL")  ($VALUE_ROWS value rows, $VERSIONS versions)"
row "(2) day 2 peak RSS (MiB)" "$(mib "$RUN_RSS_KB")" "" ""
row "(2) day 2 emulator requests" "$REQUESTS" "" "day 1: $REQUESTS_1"
RATIO_FETCHED="$(awk -v a="$FETCHED_2" -v b="$FETCHED_1" 'BEGIN { printf "%.4f", a / b }')"
RATIO_WALL="$(awk -v a="$WALL_2" -v b="$WALL_1" 'BEGIN { printf "%.3f", a / b }')"
row "(2) records fetched day 2 / day 1" "$RATIO_FETCHED" "<= 0.02" \
  "$(verdict "$RATIO_FETCHED <= 0.02")  ($FETCHED_2 / $FETCHED_1)"
row "(2) wall day 2 / day 1" "$RATIO_WALL" "<= 0.1" \
  "$(verdict "$RATIO_WALL <= 0.1")  ($(secs "$WALL_2") s / $(secs "$WALL_1") s)"

# --- (3) build-silver --------------------------------------------------------------------------

log "(3) build-silver $STUDY"
RUN_RECORDS_SED='s/^Built .*: \([0-9]*\) current values$/\1/p' run_export silver build-silver "$STUDY" "$DB"
[[ $RUN_OK == 1 ]] || die "build-silver failed after $RUN_WALL_MS ms: $RUN_ERROR"
SILVER="$RUN_RECORDS"
BRONZE="$(sql_value "SELECT count(*) FROM bronze_record_values")"
SILVER_TABLE="$(sql_value "SELECT count(*) FROM silver_current_state WHERE study_key = '$STUDY'")"
# Independent of DuckDbHistory.silverQuery: the latest version by rank rather than a semi-join on
# max(date_modified); blank = null or only spaces.
EXPECTED="$(sql_value "SELECT count(*) FROM (SELECT deleted, value, rank() OVER (PARTITION BY study_key, record_id ORDER BY date_modified DESC) AS version FROM bronze_record_values WHERE study_key = '$STUDY') WHERE version = 1 AND deleted IS NOT TRUE AND value IS NOT NULL AND trim(value) <> ''")"
AUDIT="$(sql_value "SELECT count(*) FROM audit_value_changes WHERE study_key = '$STUDY'")"
row "(3) build-silver, wall s" "$(secs "$RUN_WALL_MS")" "" \
  "$BRONZE bronze value rows; $(cpu_seconds silver) CPU-s"
row "(3) build-silver peak RSS (MiB)" "$(mib "$RUN_RSS_KB")" "" ""
row "(3) silver_current_state rows" "$SILVER" "= bronze query" \
  "$([[ "$SILVER" == "$EXPECTED" && "$SILVER_TABLE" == "$SILVER" ]] && echo OK || echo MISMATCH)  (independent query $EXPECTED, table $SILVER_TABLE; audit_value_changes $AUDIT rows)"

LOAD_AFTER="$(loadavg)"
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$LOAD_AFTER" "" ""
print_table "history benchmark: $FORMS forms x $VARS variables, $RECORDS records, change every $CHANGE_EVERY, ingest args '${INGEST_ARGS:-}' ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
