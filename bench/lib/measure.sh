# bench/lib/measure.sh: one measurement = sanity request, warm-up, measured
# wrk run, CPU accounting.  Sourced.  Results go into the associative array
# R, keyed "<scenario>/<target>/<run>/<field>"; pick_median then copies the
# median run's figures to "<scenario>/<target>/<field>".

declare -A R

# check_response T BODY: one request with curl; it must answer 200 and match
# SC_EXPECT, otherwise the figures would measure an error path.
check_response() {
    local t=$1 body=$2 out=$RUN_DIR/check.out code
    code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -X POST \
        -H 'Content-Type: application/json' -H "@$T_HEADERS" \
        --data-binary "@$body" "$T_URL" 2>"$RUN_DIR/check.err") || code=000
    if [ "$code" != 200 ]; then
        CHECK_ERROR="HTTP $code from $T_URL: $(head -c 300 "$out" "$RUN_DIR/check.err" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
    if ! [[ $(<"$out") =~ $SC_EXPECT ]]; then
        CHECK_ERROR="response from $T_URL does not match /$SC_EXPECT/: $(head -c 300 "$out" | tr '\n' ' ')"
        return 1
    fi
}

# wrk_run URL BODY SECONDS: prints wrk's BENCH_RESULT line.
wrk_run() {
    taskset -c "$WRK_CPUS" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${3}s" \
        --timeout 10s -s "$BENCH_DIR/wrk/post.lua" "$1" -- "$2" "$T_HEADERS" \
        2>&1 | grep '^BENCH_RESULT ' || true
}

# BENCH_PERF=1: sample the proxy's processes with perf during the measured
# run (perf itself on the wrk CPU) and keep the hottest symbols in
# $OUT_DIR/perf-<scenario>-<target>.txt.  For finding out why, not for the
# figures: sampling costs the proxy a little.
PERF_PID=
perf_start() {
    local sc=$1 t=$2 pids
    shift 2
    pids=$(for p in "$@"; do echo "$p"; ps -o pid= --ppid "$p"; done | tr -d ' ' | paste -sd,)
    PERF_DATA=$RUN_DIR/perf-$sc-$t.data PERF_OUT=$OUT_DIR/perf-$sc-$t.txt
    taskset -c "$WRK_CPUS" perf record -q -F 997 -g -p "$pids" -o "$PERF_DATA" \
        -- sleep "$(( DURATION > 2 ? DURATION - 1 : 1 ))" >/dev/null 2>&1 &
    PERF_PID=$!
}
perf_finish() {
    [ -n "$PERF_PID" ] || return 0
    wait "$PERF_PID" || true
    PERF_PID=
    {
        echo "== by object"
        perf report -i "$PERF_DATA" --stdio --no-children --sort dso -g none \
            --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$'
        echo "== by symbol"
        perf report -i "$PERF_DATA" --stdio --no-children --sort dso,symbol -g none \
            --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$'
    } >"$PERF_OUT" || true
    log "perf profile: ${PERF_OUT#"$ROOT"/}"
}

# field LINE NAME: value of NAME=... in a BENCH_RESULT line.
field() { [[ $1 =~ (^| )$2=([0-9]+) ]] && echo "${BASH_REMATCH[2]}"; }

# measure SCENARIO T RUN: fills R[SCENARIO/T/RUN/...]; returns 1 if it
# failed to run.
measure() {
    local sc=$1 t=$2 k="$1/$2/$3" body line pids m0 m1 p0 p1 w0 w1 x0 x1 errs n secs hz
    body=$BODIES_DIR/$SC_BODY.json
    target_request "$t"
    R[$k/status]=ok
    if ! check_response "$t" "$body"; then
        R[$k/status]=FAILED
        R[$k/why]=$CHECK_ERROR
        return 1
    fi
    wrk_run "$T_URL" "$body" "$WARMUP" >/dev/null
    read -r -a pids <<<"$(target_pids "$t")"
    m0=$(tree_ticks "$MOCK_PID")
    p0=$(tree_ticks "${pids[@]}")
    children_ms
    w0=$CHILDREN_MS
    read -r -a x0 <<<"$(machine_ticks)"
    [ "$PERF" != 1 ] || [ "$t" = a ] || perf_start "$sc" "$t" "${pids[@]}"
    line=$(wrk_run "$T_URL" "$body" "$DURATION")
    children_ms
    w1=$CHILDREN_MS
    read -r -a x1 <<<"$(machine_ticks)"
    perf_finish
    m1=$(tree_ticks "$MOCK_PID")
    p1=$(tree_ticks "${pids[@]}")
    n=$(field "$line" requests) || n=
    if [ -z "$n" ] || [ "$n" = 0 ]; then
        R[$k/status]=FAILED
        R[$k/why]="wrk completed no requests (${line:-no output})"
        return 1
    fi
    secs=$(awk -v us="$(field "$line" duration_us)" 'BEGIN { printf "%.3f", us / 1e6 }')
    errs=0
    for f in err_connect err_read err_write err_status err_timeout; do
        errs=$(( errs + $(field "$line" $f) ))
    done
    R[$k/requests]=$n
    R[$k/rps]=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    R[$k/p50]=$(awk -v us="$(field "$line" p50_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    R[$k/p99]=$(awk -v us="$(field "$line" p99_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    R[$k/errors]=$errs
    R[$k/mock_cpu]=$(cpu_percent "$m0" "$m1" "$secs")
    R[$k/wrk_cpu]=$(awk -v ms="$(( w1 - w0 ))" -v s="$secs" 'BEGIN { printf "%.0f", ms / 10 / s }')
    # Everything else: all process time on the machine minus ours, plus steal.
    hz=$(getconf CLK_TCK)
    R[$k/other_cpu]=$(awk -v busy="$(( x1[0] - x0[0] ))" -v steal="$(( x1[1] - x0[1] ))" \
        -v ours="$(( p1 - p0 + m1 - m0 ))" -v wrk_ms="$(( w1 - w0 ))" -v hz="$hz" -v s="$secs" \
        'BEGIN { o = (busy - ours - wrk_ms * hz / 1000 + steal) * 100 / hz / s;
                 printf "%.0f", o < 0 ? 0 : o }')
    if [ "$t" = a ]; then
        R[$k/proxy_cpu]=- R[$k/us_req]=-
    else
        R[$k/proxy_cpu]=$(cpu_percent "$p0" "$p1" "$secs")
        # CPU cost per request: comparable even when the proxy did not get a
        # whole core (other load), unlike requests/s.
        R[$k/us_req]=$(awk -v d="$(( p1 - p0 ))" -v hz="$(getconf CLK_TCK)" -v n="$n" \
            'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
    fi
    # A run where more than 1% of requests failed measured errors, not the
    # path it was meant to measure.
    if (( errs * 100 > n )); then
        R[$k/status]=FAILED
        R[$k/why]="$errs of $n requests failed ($line)"
        return 1
    fi
}

# pick_median SCENARIO T RUNS: the run with the median requests/s stands for
# the target (with several runs, one disturbed run does not move the result);
# any failed run fails the target.
pick_median() {
    local sc=$1 t=$2 runs=$3 r k f sorted=() line
    for (( r = 1; r <= runs; r++ )); do
        k=$sc/$t/$r
        [ -n "${R[$k/status]:-}" ] || continue
        if [ "${R[$k/status]}" != ok ]; then
            R[$sc/$t/status]=${R[$k/status]}
            R[$sc/$t/why]="run $r: ${R[$k/why]}"
            return
        fi
        sorted+=("${R[$k/rps]} $r")
    done
    ((${#sorted[@]})) || return 0
    mapfile -t sorted < <(printf '%s\n' "${sorted[@]}" | sort -n)
    line=${sorted[$(( (${#sorted[@]} - 1) / 2 ))]}
    k=$sc/$t/${line#* }
    for f in status requests rps p50 p99 errors proxy_cpu us_req mock_cpu wrk_cpu other_cpu; do
        R[$sc/$t/$f]=${R[$k/$f]}
    done
    R[$sc/$t/all_rps]=$(printf '%s\n' "${sorted[@]}" | cut -d' ' -f1 | paste -sd/)
}
