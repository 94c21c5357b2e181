# bench/lib/common.sh: logging, free ports, CPU layout, template rendering,
# process CPU accounting and cleanup for bench/bench.sh.  Sourced, not run.

# bash 5.2 would otherwise treat '&' in a ${var//pat/rep} replacement as
# "the matched text"; template values are taken literally.
shopt -u patsub_replacement 2>/dev/null || true

log()  { printf '[bench] %s\n' "$*" >&2; }
warn() { printf '[bench] warning: %s\n' "$*" >&2; }
die()  { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# Commands run at exit in reverse order of registration (servers we started).
CLEANUPS=()
on_exit() { CLEANUPS+=("$1"); }
run_cleanups() {
    local i
    for (( i=${#CLEANUPS[@]}-1; i>=0; i-- )); do
        eval "${CLEANUPS[$i]}" || true
    done
    CLEANUPS=()
}

# A free TCP port on 127.0.0.1: random below the kernel's ephemeral range
# (outgoing connections take ports from that range, and a port in use by any
# socket, listening or not, cannot be bound), so parallel runs and other
# engineers' servers rarely collide; the start functions retry if they do.
free_port() {
    local p tries=0 lo
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
    (( lo > 12000 )) || lo=32768
    while (( tries++ < 200 )); do
        p=$(( 10000 + RANDOM % (lo - 10000) ))
        if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

# render TEMPLATE OUT NAME=VALUE...: replace every @NAME@ in TEMPLATE.
render() {
    local tpl=$1 out=$2 text kv left
    shift 2
    text=$(<"$tpl")
    for kv in "$@"; do
        text=${text//@${kv%%=*}@/${kv#*=}}
    done
    left=$(grep -v '^[[:space:]]*#' <<<"$text" | grep -oE -m1 '@[A-Z_]+@' || true)
    [ -z "$left" ] || die "$tpl: placeholder $left left unfilled"
    printf '%s\n' "$text" >"$out"
}

# wait_listen PORT PID SECONDS: until process PID (or a child of it, e.g. an
# nginx worker) listens on PORT.  Fails early if PID exits (bind failed).
wait_listen() {
    local port=$1 pid=$2 deadline=$(( SECONDS + $3 )) owners
    while (( SECONDS < deadline )); do
        kill -0 "$pid" 2>/dev/null || return 1
        owners=$(ss -Htlnp "sport = :$port" 2>/dev/null)
        if [[ $owners == *"pid=$pid,"* ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# CPU layout.  The proxy under test gets its own cores (one per worker); the
# mock and wrk share what is left.  On the 2-core reference machine with one
# worker that is: proxy on CPU 0, mock + wrk on CPU 1, so the proxy's core is
# the one that saturates and the c/b ratio compares the proxies' own cost.
# Any of the three can be overridden (a taskset CPU list).
cpu_layout() {
    local ncpu workers=$1
    ncpu=$(nproc)
    if (( ncpu < 2 )); then
        PROXY_CPUS=${BENCH_PROXY_CPUS:-0} MOCK_CPUS=${BENCH_MOCK_CPUS:-0}
        WRK_CPUS=${BENCH_WRK_CPUS:-0}
    elif (( ncpu >= workers + 2 )); then
        PROXY_CPUS=${BENCH_PROXY_CPUS:-0-$(( workers - 1 ))}
        MOCK_CPUS=${BENCH_MOCK_CPUS:-$workers}
        WRK_CPUS=${BENCH_WRK_CPUS:-$(( workers + 1 ))-$(( ncpu - 1 ))}
    else
        PROXY_CPUS=${BENCH_PROXY_CPUS:-0-$(( ncpu - 2 ))}
        MOCK_CPUS=${BENCH_MOCK_CPUS:-$(( ncpu - 1 ))}
        WRK_CPUS=${BENCH_WRK_CPUS:-$(( ncpu - 1 ))}
    fi
}

# tree_ticks PID...: CPU time (user+system, clock ticks) used so far by these
# processes and all their descendants.  Sampled before and after a run to
# show how busy each server was, i.e. which one was the bottleneck.
tree_ticks() {
    local pids=("$@") all=() p kids sum=0 stat fields
    while ((${#pids[@]})); do
        p=${pids[0]}
        pids=("${pids[@]:1}")
        [ -n "$p" ] && [ -r "/proc/$p/stat" ] || continue
        all+=("$p")
        kids=$(ps -o pid= --ppid "$p" 2>/dev/null || true)
        # shellcheck disable=SC2206
        pids+=($kids)
    done
    for p in "${all[@]}"; do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        # Fields after the ")" that closes the command name; utime and stime
        # are fields 14 and 15 of the whole line, 12 and 13 after it.
        read -r -a fields <<<"${stat##*) }"
        sum=$(( sum + fields[11] + fields[12] ))
    done
    echo "$sum"
}

# cpu_percent TICKS_BEFORE TICKS_AFTER SECONDS -> "87" (% of one core)
cpu_percent() {
    local hz
    hz=$(getconf CLK_TCK)
    awk -v d="$(( $2 - $1 ))" -v hz="$hz" -v s="$3" \
        'BEGIN { if (s > 0) printf "%.0f", d * 100 / hz / s; else print "-" }'
}

# children_ms: CHILDREN_MS = CPU time (ms) of all finished children of this
# shell, from the `times` builtin.  Must run in this shell, not in $(...): a
# subshell's children start from zero.  Its delta across a wrk run is wrk's
# own CPU cost.
children_ms() {
    times >"$RUN_DIR/times"
    CHILDREN_MS=$(awk 'NR == 2 {
        for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
        printf "%.0f", t * 1000 }' "$RUN_DIR/times")
}

# machine_ticks: "BUSY STEAL" for all CPUs from /proc/stat, in clock ticks.
# BUSY is the time processes ran (user, nice, system); STEAL is time the
# hypervisor gave to someone else.  Compared with what the benchmark's own
# processes used, it shows how much other load disturbed a run.
machine_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4, $9; exit }' /proc/stat
}
