#!/usr/bin/env bash
# make bench: throughput and latency of ngx_llm against plain nginx.
#
# For each scenario (bench/scenarios.sh) and the same mock provider, wrk
# measures (a) the mock directly, (b) stock nginx proxy_pass to it with
# upstream keep-alive, (c) ngx_llm (`llmctl start`, master key on every
# request), (d) ngx_llm without its request log (chat_small, chat_stream: c
# against d is what the log costs), (e) also without metrics counting
# (llm_metrics_collect off: c against e is what both cost), then prints requests/s, p50, p99 and the
# c/b ratio and writes
# $BUILD/bench/results.md.  Exits non-zero only when something failed to run
# (a server did not start, a response was wrong, requests failed); there are
# no performance thresholds.  docs/performance.md explains the set-up.
#
# Environment knobs:
#   BENCH_SECONDS=10      measured duration per run
#   BENCH_WARMUP=2        warm-up per run (discarded)
#   BENCH_CONNECTIONS=32  wrk connections
#   BENCH_THREADS=1       wrk threads
#   BENCH_WORKERS=1       nginx workers of (b) and (c)
#   BENCH_RUNS=1          runs per target, alternating a b c a b c ...; the
#                         median run (by requests/s) is reported
#   BENCH_SCENARIOS="chat_small chat_stream chat_80k"   subset / order
#   BENCH_TARGETS="a b c d e" subset of targets
#   BENCH_PROXY_CPUS / BENCH_MOCK_CPUS / BENCH_WRK_CPUS  taskset CPU lists
#   BENCH_KEEP=1          keep the run directory (configs, logs)
#   BENCH_ROUTER_SETTINGS='{disable_cooldowns: true}'  router_settings for (c)
#                         (a YAML flow map; for diagnosis, the default is none)
#   BENCH_PERF=1          profile (b) and (c) with perf into $BUILD/bench/perf-*.txt
#   BUILD=build  NGINX_BIN=/usr/sbin/nginx  LLMCTL=$BUILD/llmctl
# shellcheck source-path=SCRIPTDIR disable=SC2317
set -euo pipefail

# Knobs may also be given as arguments: bench/bench.sh BENCH_RUNS=3 ...
for arg in "$@"; do
    if [[ $arg =~ ^BENCH_[A-Z_]+= ]]; then
        export "${arg?}"
    else
        echo "usage: $0 [BENCH_NAME=VALUE ...]  (knobs: see the top of this file)" >&2
        exit 2
    fi
done

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"

# shellcheck source=lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=lib/targets.sh
. "$BENCH_DIR/lib/targets.sh"
# shellcheck source=lib/measure.sh
. "$BENCH_DIR/lib/measure.sh"
# shellcheck source=lib/report.sh
. "$BENCH_DIR/lib/report.sh"
# shellcheck source=scenarios.sh
. "$BENCH_DIR/scenarios.sh"

BUILD=${BUILD:-build}
OUT_DIR=$ROOT/$BUILD/bench
BODIES_DIR=$OUT_DIR/bodies
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
LLMCTL=${LLMCTL:-$ROOT/$BUILD/llmctl}
DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-1}
WORKERS=${BENCH_WORKERS:-1}
RUNS=${BENCH_RUNS:-1}
PERF=${BENCH_PERF:-0}
RUN_TARGETS=${BENCH_TARGETS:-$TARGETS_ALL}
read -r -a SCENARIOS <<<"${BENCH_SCENARIOS:-${BENCH_SCENARIO_LIST[*]}}"

[ "$PERF" != 1 ] || command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"
for tool in wrk curl taskset ss node "$NGINX_BIN"; do
    command -v "$tool" >/dev/null || die "$tool not found (make deps installs it)"
done
for t in $RUN_TARGETS; do
    [[ " $TARGETS_ALL " == *" $t "* ]] || die "unknown target '$t' (a, b, c, d or e)"
done
for sc in "${SCENARIOS[@]}"; do scenario_load "$sc"; done
if [[ " $RUN_TARGETS " == *" c "* || " $RUN_TARGETS " == *" d "* ]]; then
    [ -x "$LLMCTL" ] || die "$LLMCTL not built (run make, or BENCH_TARGETS=\"a b\")"
    [ -f "$(dirname "$LLMCTL")/ngx_llm_module.so" ] || [ -n "${LLM_MODULE:-}" ] \
        || die "ngx_llm_module.so not built (run make)"
fi

cpu_layout "$WORKERS"
mkdir -p "$OUT_DIR"
RUN_DIR=$(mktemp -d /tmp/ngx_llm_bench.XXXXXX)
FAILED=0
finish() {
    run_cleanups
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$FAILED" != 0 ]; then
        log "configs and logs kept in $RUN_DIR"
    else
        rm -rf "$RUN_DIR"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

node "$BENCH_DIR/gen-bodies.js" "$BODIES_DIR"
# Every target receives the master key, as real clients send it; only the
# gateway checks it.  Random per run and kept in a 0600 file, not in argv.
MASTER_KEY=sk-bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
printf 'Authorization: Bearer %s\n' "$MASTER_KEY" >"$RUN_DIR/headers"
chmod 600 "$RUN_DIR/headers"

# Other work on the machine skews the figures; record how busy it was.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average $LOAD_BEFORE; $(nproc) CPUs; proxy on CPU $PROXY_CPUS, mock on CPU $MOCK_CPUS, wrk on CPU $WRK_CPUS" \
    "(-t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run)"
mock_start
declare -A TARGET_UP=([a]=1)
for t in $RUN_TARGETS; do
    case $t in
        b) if plain_start; then TARGET_UP[b]=1; else warn "plain nginx did not start"; FAILED=1; fi ;;
        c|d|e) if gateway_start "$t"; then TARGET_UP[$t]=1; else warn "$(target_name "$t") did not start"; FAILED=1; fi ;;
    esac
done

for sc in "${SCENARIOS[@]}"; do
    scenario_load "$sc"
    for (( run = 1; run <= RUNS; run++ )); do
        for t in $RUN_TARGETS; do
            [[ " $SC_TARGETS " == *" $t "* ]] || continue
            if [ -z "${TARGET_UP[$t]:-}" ]; then
                R[$sc/$t/$run/status]=FAILED
                R[$sc/$t/$run/why]="$(target_name "$t") did not start"
                continue
            fi
            log "$sc: $(target_name "$t") (run $run/$RUNS)"
            measure "$sc" "$t" "$run" || { FAILED=1; warn "$sc/$t: ${R[$sc/$t/$run/why]}"; }
        done
    done
    for t in $RUN_TARGETS; do pick_median "$sc" "$t" "$RUNS"; done
done

# Alerts (crashed workers, shared-memory trouble) mean the figures are not
# of a healthy server.
for t in $RUN_TARGETS; do
    for f in $(target_error_logs "$t"); do
        if [ -f "$f" ] && grep -qE '\[(alert|crit|emerg)\]' "$f"; then
            warn "$f has alerts:"
            grep -m5 -E '\[(alert|crit|emerg)\]' "$f" >&2
            FAILED=1
        fi
    done
done

report_terminal
report_markdown "$OUT_DIR/results.md"
log "results written to $BUILD/bench/results.md"
exit "$FAILED"
