/*
 * Updates of one deployment's counters: the request window, latency
 * averages and the failure window that drives cooldowns.  They work on the
 * module's copy of the shared state; see docs/routing.md for how the module
 * writes them back.
 */

#include "llm_router.h"


#define LLM_MINUTE_MS  60000ULL

/* moving averages move 1/8 of the way to each new sample */
#define LLM_EWMA_SHIFT  3


static void
llm_roll_minute(llm_dep_state_t *st, uint64_t now_ms)
{
    uint64_t  minute = now_ms / LLM_MINUTE_MS;

    if (st->minute < minute) {
        st->minute = minute;
        st->minute_requests = 0;
        st->minute_tokens = 0;
    }
}


void
llm_router_on_start(llm_dep_state_t *st, uint64_t now_ms)
{
    llm_roll_minute(st, now_ms);
    st->minute_requests++;
    st->in_flight++;
}


void
llm_router_on_end(llm_dep_state_t *st)
{
    if (st->in_flight > 0) {
        st->in_flight--;
    }
}


/* Failures that say something about the deployment rather than the request. */
static int
llm_counts_as_failure(llm_err_class_t cls)
{
    switch (cls) {
    case LLM_ERR_TIMEOUT:
    case LLM_ERR_RATE_LIMIT:
    case LLM_ERR_SERVER:
    case LLM_ERR_CONNECT:
    case LLM_ERR_AUTH:
    case LLM_ERR_NOT_FOUND:
        return 1;
    default:
        return 0;
    }
}


int
llm_router_on_failure(llm_err_class_t cls, size_t group_size,
    uint64_t allowed_fails, uint64_t cooldown_ms, uint64_t now_ms,
    llm_dep_state_t *st)
{
    int       cool;
    uint64_t  minute;

    if (!llm_counts_as_failure(cls)) {
        return 0;
    }

    minute = now_ms / LLM_MINUTE_MS;

    if (st->fail_minute < minute) {
        st->fail_minute = minute;
        st->fail_count = 0;
    }

    st->fail_count++;

    if (cooldown_ms == 0) {
        return 0;
    }

    cool = cls == LLM_ERR_AUTH || cls == LLM_ERR_NOT_FOUND   /* won't heal */
           || (cls == LLM_ERR_RATE_LIMIT && group_size > 1)
           || st->fail_count > allowed_fails;

    if (!cool) {
        return 0;
    }

    st->cooldown_until_ms = now_ms + cooldown_ms;
    st->cooldown_class = cls;         /* what operators see as the reason */

    /*
     * Back from cooldown the deployment gets allowed_fails fresh chances,
     * as LiteLLM's failure counter (TTL = cooldown time) would have expired.
     */
    st->fail_count = 0;

    return 1;
}


static uint64_t
llm_ewma(uint64_t avg, uint64_t sample)
{
    if (sample >= avg) {
        return avg + ((sample - avg) >> LLM_EWMA_SHIFT);
    }

    return avg - ((avg - sample) >> LLM_EWMA_SHIFT);
}


void
llm_router_on_success(llm_dep_state_t *st, uint64_t now_ms,
    uint64_t latency_us, uint64_t ttft_us, uint64_t tokens)
{
    st->latency_us = st->samples == 0 ? latency_us
                     : llm_ewma(st->latency_us, latency_us);

    if (st->samples < UINT64_MAX) {
        st->samples++;
    }

    if (ttft_us > 0) {
        st->ttft_us = st->ttft_us == 0 ? ttft_us : llm_ewma(st->ttft_us, ttft_us);
    }

    llm_roll_minute(st, now_ms);
    st->minute_tokens += tokens;
}
