#!/usr/bin/env bash
# Stops the Flink session cluster that start-cluster.sh started in FLINK_RUN_DIR:
# SIGTERM to the TaskManager and JobManager, SIGKILL after FLINK_STOP_TIMEOUT seconds (default 20).
# Exits 0 when no process of that cluster is left (also when none was running).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

started=$(now_ms)
pids=()
tm_pid="$(live_pid taskmanager "$TM_CLASS" || true)"
jm_pid="$(live_pid jobmanager "$JM_CLASS" || true)"
[[ -n "$tm_pid" ]] && pids+=("$tm_pid")
[[ -n "$jm_pid" ]] && pids+=("$jm_pid")

if [[ ${#pids[@]} -eq 0 ]]; then
  rm -f "$FLINK_RUN_DIR/pid/taskmanager.pid" "$FLINK_RUN_DIR/pid/jobmanager.pid"
  log "no Flink cluster running in $FLINK_RUN_DIR"
  exit 0
fi

terminate_pids "${pids[@]}"
rm -f "$FLINK_RUN_DIR/pid/taskmanager.pid" "$FLINK_RUN_DIR/pid/jobmanager.pid"
log "Flink session cluster stopped (pids ${pids[*]}) in $(( $(now_ms) - started )) ms"
