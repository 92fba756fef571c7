#!/usr/bin/env bash
# Incremental export benchmark (issue 13): one run, one table.
#
#  (1) `imednet export duckdb SYN001 - DB --by-form --incremental` of a synthetic study on day 1
#      (RECORDS records, FORMS forms x VARS variables): the target's ledger does not know the study,
#      so it is exported whole. Wall time (JVM start to exit), records fetched, the emulator's
#      requests in the run, peak RSS;
#  (2) the emulator restarted with the seven-field spec SEED,1,FORMS,VARS,RECORDS,CHANGE_EVERY,2
#      (the same study on day 2: about one record in CHANGE_EVERY changed, dateModified
#      2120-01-02 12:00:00) and the same command again: it reads from the ledger's high-water mark
#      less the default look-back (1 h) and upserts. Ratios requests (2) / (1) (goal <= 0.02) and
#      wall (2) / wall (1) (goal <= 0.1); the DuckDB file is checked against the API: every form
#      table holds RECORDS rows in all, one per record id, and the day-2 records carry their
#      day-2 dateModified.
#
# The emulator answers like a production API: LATENCY_MS (200) of latency per request and a budget
# of RPS (20) requests/s, which the exporter is told (--requests-per-second RPS
# --max-concurrent-requests 8): the API is what a daily run waits for. LATENCY_MS=0 RPS=0 measures
# the exporter alone (there the incremental run's fixed cost, JVM and embedded Flink start-up,
# dominates). Each emulator (its own JVM) is warmed up by an untimed one-form export first, as in
# export-benchmark.sh. Its requests in a run are the per-second counts of its stats file from the
# run's start on.
#
#   runners/bench/incremental-benchmark.sh            # 1,000,000 records
#   QUICK=1 runners/bench/incremental-benchmark.sh    # 10x smaller, a smoke run
#
# Environment: RECORDS (default 1000000; QUICK=1: 100000), FORMS (20), VARS (30), SEED (42),
# CHANGE_EVERY (100), LATENCY_MS (200), RPS (20), EXPORT_ARGS (extra arguments of both runs, e.g. "--runner direct"),
# RESULTS_FILE; and those of bench-lib.sh.
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
LATENCY_MS="${LATENCY_MS:-200}"
RPS="${RPS:-20}"
EMULATOR_LIMITS=()
BUDGET_ARGS=()
if [[ "$RPS" != 0 || "$LATENCY_MS" != 0 ]]; then
  EMULATOR_LIMITS=(--latency-ms "$LATENCY_MS" --rps "$RPS")
  BUDGET_ARGS=(--requests-per-second "$RPS" --max-concurrent-requests 8)
fi
read -r -a EXPORT_EXTRA <<<"${EXPORT_ARGS:-}"

STUDY=SYN001
SPEC_1="$SEED,1,$FORMS,$VARS,$RECORDS"
SPEC_2="$SEED,1,$FORMS,$VARS,$RECORDS,$CHANGE_EVERY,2"

bench_init incremental-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build
DB="$WORK/incremental.duckdb"

imednet() { IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" "$@"; }

# export_day NAME SPEC: a fresh emulator serving SPEC, warmed up, then the timed incremental
# export into $DB; sets the RUN_* variables of run_export and REQUESTS, EMU_RUN_CPU.
export_day() {
  local name="$1" spec="$2" started
  start_emulator "$name" "$spec" "${EMULATOR_LIMITS[@]}"
  warm_emulator "$name"
  started="$(now_ms)"
  run_export "$name" export duckdb "$STUDY" - "$DB" --by-form --incremental \
    --env-file "$WORK/$name.env" --progress none "${BUDGET_ARGS[@]}" "${EXPORT_EXTRA[@]}"
  stop_emulator
  EMU_RUN_CPU="$(awk -v a="$EMU_CPU_S" -v b="$EMU_CPU_WARM_S" 'BEGIN {printf "%.1f", a - b}')"
  REQUESTS="$(requests_since "$started")"
  [[ $RUN_OK == 1 ]] || die "$name failed after $RUN_WALL_MS ms: $RUN_ERROR (see $WORK/$name.err)"
}

form_rows() {
  local union="" f
  for f in $(seq -f 'F%03g' 1 "$FORMS"); do
    union+="${union:+ UNION ALL }SELECT record_id, date_modified FROM \"$f\""
  done
  echo "($union)"
}

# --- (1) day 1 ---------------------------------------------------------------------------------

log "(1) day 1: $SPEC_1, a target that does not know the study"
export_day day1 "$SPEC_1"
[[ "$RUN_RECORDS" == "$RECORDS" ]] || die "day 1 fetched $RUN_RECORDS records, expected $RECORDS"
grep -q "^$STUDY: exported whole (not in the target's ledger yet)" "$WORK/day1.out" ||
  die "day 1 was not a whole export (see $WORK/day1.out)"
WALL_1=$RUN_WALL_MS
REQUESTS_1=$REQUESTS
row "(1) day 1 export (whole), wall s" "$(secs "$WALL_1")" "" \
  "$(cpu_seconds day1) CPU-s; emulator $EMU_RUN_CPU CPU-s in the run"
row "(1) day 1 records fetched" "$RUN_RECORDS" "= $RECORDS" "$(verdict "$RUN_RECORDS == $RECORDS")"
row "(1) day 1 emulator requests" "$REQUESTS_1" "" "spec $SPEC_1"
row "(1) day 1 peak RSS (MiB)" "$(mib "$RUN_RSS_KB")" "" ""

# --- (2) day 2 ---------------------------------------------------------------------------------

log "(2) day 2: the emulator restarted with $SPEC_2"
export_day day2 "$SPEC_2"
SINCE_LINE="$(grep "^$STUDY: records modified since" "$WORK/day2.out" || true)"
[[ -n "$SINCE_LINE" ]] || die "day 2 was not incremental (see $WORK/day2.out)"
WALL_2=$RUN_WALL_MS
FETCHED_2=$RUN_RECORDS
REQUESTS_2=$REQUESTS
ROWS="$(sql_value "SELECT count(*) FROM $(form_rows)")"
IDS="$(sql_value "SELECT count(DISTINCT record_id) FROM $(form_rows)")"
CHANGED="$(sql_value "SELECT count(*) FROM $(form_rows) WHERE date_modified >= TIMESTAMP '2120-01-01'")"
[[ "$ROWS" == "$RECORDS" && "$IDS" == "$RECORDS" ]] ||
  die "the form tables hold $ROWS rows of $IDS record ids, expected $RECORDS of each"
row "(2) day 2 export (--incremental), wall s" "$(secs "$WALL_2")" "" \
  "$(cpu_seconds day2) CPU-s; ${SINCE_LINE#"$STUDY: "}"
row "(2) day 2 records fetched" "$FETCHED_2" "" \
  "$CHANGED records carry a day-2 dateModified; the rest is the hour of look-back"
row "(2) day 2 emulator requests" "$REQUESTS_2" "" "spec $SPEC_2"
row "(2) form rows after day 2" "$ROWS" "= $RECORDS" \
  "$(verdict "$ROWS == $RECORDS && $IDS == $RECORDS")  ($IDS distinct record ids)"
RATIO_REQ="$(awk -v a="$REQUESTS_2" -v b="$REQUESTS_1" 'BEGIN { printf "%.4f", a / b }')"
RATIO_WALL="$(awk -v a="$WALL_2" -v b="$WALL_1" 'BEGIN { printf "%.3f", a / b }')"
row "(2) requests day 2 / day 1" "$RATIO_REQ" "<= 0.02" \
  "$(verdict "$RATIO_REQ <= 0.02")  ($REQUESTS_2 / $REQUESTS_1)"
row "(2) wall day 2 / day 1" "$RATIO_WALL" "<= 0.1" \
  "$(verdict "$RATIO_WALL <= 0.1")  ($(secs "$WALL_2") s / $(secs "$WALL_1") s)"

LOAD_AFTER="$(loadavg)"
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$LOAD_AFTER" "" ""
print_table "incremental benchmark: $FORMS forms x $VARS variables, $RECORDS records, change every $CHANGE_EVERY, API $LATENCY_MS ms / $RPS req/s, export args '${EXPORT_ARGS:-}' ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
