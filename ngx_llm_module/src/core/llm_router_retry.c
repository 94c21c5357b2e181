/*
 * Retry decision and backoff, after LiteLLM's should_retry_this_error and
 * _time_to_sleep_before_retry.  The point of the early exits is to not
 * spend the retry budget on an error that another path handles better: a
 * dedicated fallback list, or no healthy deployment left in the group.
 */

#include "llm_router.h"


#define LLM_BACKOFF_INITIAL_MS   500
#define LLM_BACKOFF_MAX_MS       8000
#define LLM_RETRY_AFTER_MAX_S    60


/*
 * Errors that are about the request, not the deployment: resending the
 * same request is pointless unless retry_policy explicitly asks for it.
 */
static int
llm_request_error(llm_err_class_t cls)
{
    return cls == LLM_ERR_BAD_REQUEST || cls == LLM_ERR_CONTEXT_WINDOW
           || cls == LLM_ERR_CONTENT_POLICY;
}


static llm_retry_action_t
llm_fallback_or_give_up(llm_err_class_t cls, int has_fallbacks)
{
    /* a rejected request is rejected by every group alike */
    if (cls == LLM_ERR_BAD_REQUEST || !has_fallbacks) {
        return LLM_RETRY_GIVE_UP;
    }

    return LLM_RETRY_FALLBACK;
}


llm_retry_action_t
llm_router_should_retry(const llm_router_retry_policy_t *p,
    llm_err_class_t cls, unsigned attempts_in_group, size_t group_size,
    size_t healthy_left, int has_fallbacks)
{
    long long  retries;

    if (cls == LLM_ERR_NONE || (unsigned) cls >= LLM_ERR_NCLASSES) {
        return LLM_RETRY_GIVE_UP;
    }

    if ((cls == LLM_ERR_CONTEXT_WINDOW || cls == LLM_ERR_CONTENT_POLICY)
        && has_fallbacks)
    {
        return LLM_RETRY_FALLBACK;
    }

    if (cls == LLM_ERR_NOT_FOUND) {
        return llm_fallback_or_give_up(cls, has_fallbacks);
    }

    if (cls == LLM_ERR_RATE_LIMIT && healthy_left == 0 && has_fallbacks) {
        return LLM_RETRY_FALLBACK;
    }

    /* the same key fails the same way on the only deployment */
    if (cls == LLM_ERR_AUTH && group_size <= 1) {
        return llm_fallback_or_give_up(cls, has_fallbacks);
    }

    if (healthy_left == 0) {
        return llm_fallback_or_give_up(cls, has_fallbacks);
    }

    retries = p->per_class[cls] >= 0 ? p->per_class[cls]
              : llm_request_error(cls) ? 0 : p->num_retries;

    if ((long long) attempts_in_group <= retries) {
        return LLM_RETRY_SAME_GROUP;
    }

    return llm_fallback_or_give_up(cls, has_fallbacks);
}


uint64_t
llm_router_backoff_ms(unsigned retries_done, long retry_after_s,
    size_t healthy_left, unsigned long random, uint64_t min_ms)
{
    uint64_t  ms;

    /* another deployment can take the retry right away */
    if (healthy_left > 1) {
        return 0;
    }

    if (retry_after_s > 0 && retry_after_s <= LLM_RETRY_AFTER_MAX_S) {
        return (uint64_t) retry_after_s * 1000;
    }

    ms = retries_done >= 5 ? LLM_BACKOFF_MAX_MS
         : (uint64_t) LLM_BACKOFF_INITIAL_MS << retries_done;

    if (ms > LLM_BACKOFF_MAX_MS) {
        ms = LLM_BACKOFF_MAX_MS;
    }

    /* jitter: x (1 - 0.25 u), u in [0, 1) in steps of 1/1000 */
    ms -= ms * (uint64_t) (random % 1000) / 4000;

    return ms > min_ms ? ms : min_ms;
}
