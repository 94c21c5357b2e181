# make bench: wrk against the mock provider directly (a), stock nginx
# proxy_pass to it (b) and ngx_llm (c); prints requests/s, p50, p99 and the
# c/b ratio per scenario and writes $(BUILD)/bench/results.md.  Knobs are
# environment or make variables, e.g. `make bench BENCH_SECONDS=30`:
# BENCH_SECONDS BENCH_WARMUP BENCH_CONNECTIONS BENCH_THREADS BENCH_WORKERS
# BENCH_RUNS BENCH_SCENARIOS BENCH_TARGETS BENCH_KEEP BENCH_PERF ... (see
# bench/bench.sh).
# docs/performance.md has the set-up and the reference figures.

bench: all
	BUILD=$(BUILD) bash bench/bench.sh
