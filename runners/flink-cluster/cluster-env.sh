# Shared settings of start-cluster.sh and stop-cluster.sh; sourced, not run.
# Every setting comes from the environment, with a default that works from a fresh clone.

FLINK_CLUSTER_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNNERS_DIR="$(dirname "$FLINK_CLUSTER_HOME")"
BUILD_DIR_SUFFIX="${BUILD_DIR_SUFFIX:-}"

FLINK_LIB_DIR="${FLINK_LIB_DIR:-$RUNNERS_DIR/target$BUILD_DIR_SUFFIX/flink-lib}"
FLINK_RUN_DIR="${FLINK_RUN_DIR:-$RUNNERS_DIR/target$BUILD_DIR_SUFFIX/flink-run}"
FLINK_CONF_TEMPLATE="${FLINK_CONF_TEMPLATE:-$FLINK_CLUSTER_HOME/conf}"

FLINK_REST_PORT="${FLINK_REST_PORT:-8081}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-6123}"
# 0 lets the OS pick a free port; only the REST and JobManager RPC ports must be known in advance.
FLINK_BLOB_PORT="${FLINK_BLOB_PORT:-0}"
FLINK_TM_RPC_PORT="${FLINK_TM_RPC_PORT:-0}"

FLINK_START_TIMEOUT="${FLINK_START_TIMEOUT:-90}"
FLINK_STOP_TIMEOUT="${FLINK_STOP_TIMEOUT:-20}"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="$(command -v java || true)"
fi

JM_CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
TM_CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Millisecond clock, for the timings the scripts report.
now_ms() { date +%s%3N; }

# Prints the pid stored in pid/<role>.pid if that process is still the Flink JVM we started,
# so a recycled pid is never signalled.
live_pid() {
  local role="$1" class="$2" file="$FLINK_RUN_DIR/pid/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$class" || return 1
  printf '%s\n' "$pid"
}

# Sends SIGTERM, waits up to FLINK_STOP_TIMEOUT seconds for every pid to exit, then SIGKILLs the rest.
terminate_pids() {
  local pids=("$@") deadline alive pid
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(( $(now_ms) + FLINK_STOP_TIMEOUT * 1000 ))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    if (( $(now_ms) >= deadline )); then
      log "still running after ${FLINK_STOP_TIMEOUT}s, sending SIGKILL to ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      deadline=$(( $(now_ms) + 10000 ))
      while (( $(now_ms) < deadline )); do
        alive=()
        for pid in "${pids[@]}"; do
          kill -0 "$pid" 2>/dev/null && alive+=("$pid")
        done
        [[ ${#alive[@]} -eq 0 ]] && return 0
        sleep 0.1
      done
      log "processes ${alive[*]} survived SIGKILL"
      return 1
    fi
    sleep 0.1
  done
}
