# bench/scenarios.sh: the scenario table for bench/bench.sh.  Sourced.
#
# One scenario = one entry in BENCH_SCENARIO_LIST plus one function
# scenario_<name> that sets (defaults come from scenario_defaults):
#   SC_TITLE         short description for the results table
#   SC_BODY          request body: build/bench/bodies/<SC_BODY>.json, written
#                    by bench/gen-bodies.js (add the body there)
#   SC_MODEL         model group the body asks for
#   SC_ROUTE         mock route the deployment's api_base points at:
#                    json | sse | fail429 | fail500 (bench/conf/mock.conf.in)
#   SC_EXPECT        extended regex the response body must match in the
#                    sanity request sent before each run
#   SC_GATEWAY_PATH  request path on the gateway (c)
#   SC_DIRECT_PATH   request path on the mock (a) and the plain proxy (b),
#                    which passes the URI through unchanged
#   SC_TARGETS       which of a b c d e run (e.g. "c" for a path plain nginx has
#                    no equivalent of)
# A scenario needing more than one deployment per group (failover, routing)
# also defines scenario_<name>_models, printing its YAML model_list entries;
# $MOCK_BASE is http://127.0.0.1:<mock port>.  Without it the gateway gets
# one openai/ deployment: SC_MODEL -> $MOCK_BASE/$SC_ROUTE/v1.

BENCH_SCENARIO_LIST=(chat_small chat_stream chat_80k messages_80k responses_small failover)

scenario_defaults() {
    SC_TITLE=$1 SC_BODY=$1 SC_MODEL=bench-json SC_ROUTE=json
    SC_EXPECT='"object":"chat\.completion".*"usage":\{'
    SC_GATEWAY_PATH=/v1/chat/completions SC_DIRECT_PATH=
    SC_TARGETS="a b c"
}

# Load scenario NAME into the SC_* variables.
scenario_load() {
    declare -F "scenario_$1" >/dev/null || die "unknown scenario '$1'"
    scenario_defaults "$1"
    "scenario_$1"
    : "${SC_DIRECT_PATH:=/$SC_ROUTE/v1/chat/completions}"
}

# d (request log off) and e (log and metrics off) run where their share of
# the work is largest.
scenario_chat_small() {
    SC_TITLE="chat, small body, JSON response"
    SC_TARGETS="a b c d e"
}

scenario_chat_stream() {
    SC_TITLE="chat, small body, SSE stream (16 events)"
    SC_MODEL=bench-sse SC_ROUTE=sse
    SC_EXPECT='"object":"chat\.completion\.chunk".*data: \[DONE\]'
    SC_TARGETS="a b c d e"
}

scenario_chat_80k() {
    SC_TITLE="chat, 80 KB agent body (24 tools), JSON response"
}

# Claude Code's request shape: Anthropic Messages in, translated to the
# OpenAI-format provider and back.  Plain nginx cannot do this, so only (c)
# runs; compare its cost with chat_80k (c), the same conversation forwarded.
scenario_messages_80k() {
    SC_TITLE="Anthropic ingress -> OpenAI provider, 80 KB (translated)"
    SC_GATEWAY_PATH=/v1/messages
    SC_EXPECT='"type":"message".*"usage":\{'
    SC_TARGETS="c"
}

# The Responses API (Codex CLI, the Agents SDK) in, translated to the
# OpenAI-format provider's chat completions and back into a response
# object.  Only (c) runs; compare its cost with chat_small (c), the same
# conversation in chat form.
scenario_responses_small() {
    SC_TITLE="Responses API -> OpenAI chat provider, small (translated)"
    SC_GATEWAY_PATH=/v1/responses
    SC_EXPECT='"object":"response".*"usage":\{'
    SC_TARGETS="c"
}

# Every request fails over: the order-1 deployment answers 500 and never
# cools down (cooldown_time: 0), so each request costs a failed attempt,
# an internal redirect to @llm_retry and the attempt that succeeds.
scenario_failover() {
    SC_TITLE="failover: every request retried (500, then the next deployment)"
    SC_BODY=chat_failover SC_MODEL=bench-failover
    SC_TARGETS="c"
}

scenario_failover_models() {
    cat <<EOF
  - model_name: bench-failover
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $MOCK_BASE/fail500/v1
      api_key: os.environ/BENCH_UPSTREAM_KEY
      order: 1
      cooldown_time: 0
  - model_name: bench-failover
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $MOCK_BASE/json/v1
      api_key: os.environ/BENCH_UPSTREAM_KEY
      order: 2
EOF
}
