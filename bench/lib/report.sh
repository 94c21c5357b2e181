# bench/lib/report.sh: the results table (terminal) and results.md.
# Sourced.  Reads R (measure.sh), SCENARIOS and RUN_TARGETS.

# ratio SCENARIO: requests/s of c over b, or "-" when either is missing.
ratio_cb() {
    local b=${R[$1/b/rps]:-} c=${R[$1/c/rps]:-}
    if [ "${R[$1/b/status]:-}" = ok ] && [ "${R[$1/c/status]:-}" = ok ] && [ -n "$b" ] && [ "$b" != 0 ]; then
        awk -v b="$b" -v c="$c" 'BEGIN { printf "%.2f", c / b }'
    else
        echo "-"
    fi
}

# paired_cb SCENARIO: c/b of each round (b's run, then c's right after it),
# in run order, and their median.  The machine's state drifts between runs
# (a shared VM); the two runs of a round share it, so their ratio moves
# less than the ratio of the two medians.
paired_cb() {
    local sc=$1 r b c list=()
    for (( r = 1; r <= RUNS; r++ )); do
        b=${R[$sc/b/$r/rps]:-} c=${R[$sc/c/$r/rps]:-}
        if [ "${R[$sc/b/$r/status]:-}" != ok ] || [ "${R[$sc/c/$r/status]:-}" != ok ] \
            || [ -z "$b" ] || [ "$b" = 0 ] || [ -z "$c" ]; then
            continue
        fi
        list+=("$(awk -v b="$b" -v c="$c" 'BEGIN { printf "%.2f", c / b }')")
    done
    (( ${#list[@]} )) || return 0
    printf '%s: %s (median %s)\n' "$sc" "${list[*]}" \
        "$(printf '%s\n' "${list[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
}

# log_cost SCENARIO [X]: what the request log costs, c (logs on) against
# d (logs off), or with X=e what the log and the metrics counters cost
# together: CPU µs per request of each and the difference in %, and the
# requests/s of c over X in each round (c's run, then X's right after it)
# with their median.  CPU per request is the steadier figure on a shared
# machine: it does not move when the proxy gets less than a whole core.
log_cost() {
    local sc=$1 x=${2:-d} r c d list=() what
    [ "${R[$sc/c/status]:-}" = ok ] && [ "${R[$sc/$x/status]:-}" = ok ] || return 0
    what="the request log"
    [ "$x" = e ] && what="the request log and metrics"
    for (( r = 1; r <= RUNS; r++ )); do
        c=${R[$sc/c/$r/rps]:-} d=${R[$sc/$x/$r/rps]:-}
        [ "${R[$sc/c/$r/status]:-}" = ok ] && [ "${R[$sc/$x/$r/status]:-}" = ok ] \
            && [ -n "$d" ] && [ "$d" != 0 ] || continue
        list+=("$(awk -v c="$c" -v d="$d" 'BEGIN { printf "%.2f", c / d }')")
    done
    awk -v sc="$sc" -v c="${R[$sc/c/us_req]}" -v d="${R[$sc/$x/us_req]}" \
        -v what="$what" -v x="$x" -v rounds="${list[*]}" \
        -v med="$(printf '%s\n' "${list[@]}" | sort -n \
            | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
        'BEGIN { printf "%s: %.1f us/req with %s, %.1f without (%+.1f%%); c/%s req/s %s (median %s)\n",
                 sc, c, what, d, (d > 0 ? (c - d) * 100 / d : 0), x, rounds, med }'
}

# rows FORMAT: one printf per scenario x target with the shared columns.
report_rows() {
    local fmt=$1 sc t k ratio
    for sc in "${SCENARIOS[@]}"; do
        for t in $RUN_TARGETS; do
            k=$sc/$t
            [ -n "${R[$k/status]:-}" ] || continue
            ratio=
            [ "$t" = c ] && ratio=$(ratio_cb "$sc")
            if [ "${R[$k/status]}" = ok ]; then
                # shellcheck disable=SC2059
                printf "$fmt" "$sc" "$t $(target_name "$t")" "${R[$k/rps]}" \
                    "${R[$k/p50]}" "${R[$k/p99]}" "${R[$k/errors]}" \
                    "${R[$k/proxy_cpu]}" "${R[$k/us_req]}" "${R[$k/mock_cpu]}" "${R[$k/wrk_cpu]}" "${R[$k/other_cpu]}" "$ratio"
            else
                # shellcheck disable=SC2059
                printf "$fmt" "$sc" "$t $(target_name "$t")" "${R[$k/status]}" \
                    - - - - - - - - "$ratio"
            fi
        done
    done
}

# A warning when other load took more than a fifth of a core during a run:
# the proxy under test then shared its CPU, and ratios are not trustworthy.
report_disturbance() {
    local sc t max=0 v
    for sc in "${SCENARIOS[@]}"; do
        for t in $RUN_TARGETS; do
            v=${R[$sc/$t/other_cpu]:-0}
            (( v > max )) && max=$v
        done
    done
    if (( max > 20 )); then
        echo "warning: other load on the machine reached ${max}% of a core during a run;" \
             "these figures are disturbed (rerun on a quiet machine)"
    fi
}

report_failures() {
    local sc t
    for sc in "${SCENARIOS[@]}"; do
        for t in $RUN_TARGETS; do
            if [ "${R[$sc/$t/status]:-}" = FAILED ]; then
                printf '%s/%s (%s): %s\n' "$sc" "$t" "$(target_name "$t")" "${R[$sc/$t/why]}"
            fi
        done
    done
}

report_terminal() {
    local fmt='%-12s %-20s %9s %8s %8s %7s %6s %6s %6s %6s %6s %6s\n'
    echo
    # shellcheck disable=SC2059
    printf "$fmt" scenario target req/s p50_ms p99_ms errors cpu% us/req mock% wrk% other% c/b
    report_rows "$fmt"
    echo
    echo "cpu%, mock%, wrk%, other%: CPU used by the target's processes, the mock, wrk and"
    echo "everything else on the machine (other processes, hypervisor steal), in % of one core;"
    echo "us/req: the target's CPU microseconds per request"
    if (( RUNS > 1 )); then
        echo "c/b of each round (b's run, then c's), in run order:"
        for sc in "${SCENARIOS[@]}"; do paired_cb "$sc"; done | sed 's/^/  /'
    fi
    if [[ " $RUN_TARGETS " == *" d "* ]]; then
        echo "request log cost (c: with requests.log, d: without):"
        for sc in "${SCENARIOS[@]}"; do log_cost "$sc"; done | sed 's/^/  /'
    fi
    if [[ " $RUN_TARGETS " == *" e "* ]]; then
        echo "request log and metrics cost (c: both on, e: llm_metrics_collect off and no requests.log):"
        for sc in "${SCENARIOS[@]}"; do log_cost "$sc" e; done | sed 's/^/  /'
    fi
    report_disturbance
    report_failures | sed 's/^/FAILED /'
}

report_markdown() {
    local out=$1 sc
    {
        echo "# make bench results"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
        echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
        echo "- settings: ${DURATION}s per run after ${WARMUP}s warm-up, $RUNS run(s) per target (median shown), wrk -t$THREADS -c$CONNECTIONS, proxy workers $WORKERS"
        echo "- load average before the run: $LOAD_BEFORE"
        [ -z "${BENCH_ROUTER_SETTINGS:-}" ] || echo "- gateway router_settings: $BENCH_ROUTER_SETTINGS"
        echo "- CPU pinning: proxy under test on CPU $PROXY_CPUS, mock on CPU $MOCK_CPUS, wrk on CPU $WRK_CPUS"
        echo
        report_disturbance | sed 's/^/**/; s/$/**\n/'
        echo "| scenario | target | req/s | p50 ms | p99 ms | errors | target CPU % | CPU µs/req | mock CPU % | wrk CPU % | other CPU % | c/b |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        report_rows '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n'
        echo
        echo "Scenarios:"
        for sc in "${SCENARIOS[@]}"; do
            scenario_load "$sc"
            echo "- \`$sc\`: $SC_TITLE"
        done
        if (( RUNS > 1 )); then
            echo
            echo "requests/s of every run (sorted):"
            for sc in "${SCENARIOS[@]}"; do
                for t in $RUN_TARGETS; do
                    [ -z "${R[$sc/$t/all_rps]:-}" ] || echo "- $sc/$t: ${R[$sc/$t/all_rps]}"
                done
            done
            echo
            echo "c/b of each round (b's run, then c's right after it), in run order:"
            for sc in "${SCENARIOS[@]}"; do paired_cb "$sc"; done | sed 's/^/- /'
        fi
        if [[ " $RUN_TARGETS " == *" d "* ]]; then
            echo
            echo "What the request log costs (c: with logs/requests.log, d: without; both keep nginx's access.log):"
            for sc in "${SCENARIOS[@]}"; do log_cost "$sc"; done | sed 's/^/- /'
        fi
        if [[ " $RUN_TARGETS " == *" e "* ]]; then
            echo
            echo "What the request log and the metrics counters cost together (c: both on, e: llm_metrics_collect off and no requests.log):"
            for sc in "${SCENARIOS[@]}"; do log_cost "$sc" e; done | sed 's/^/- /'
        fi
        if report_failures | grep -q .; then
            echo
            echo "Failures:"
            report_failures | sed 's/^/- /'
        fi
    } >"$out"
}
