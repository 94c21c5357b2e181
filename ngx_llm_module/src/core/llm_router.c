/*
 * Choosing a deployment: filter (tried, address, cooldown, rpm/tpm, order),
 * then the strategy.  Called per request, so it makes a few passes over
 * the group instead of allocating a candidate list: groups are small and
 * the eligibility test is a handful of integer comparisons.
 */

#include <string.h>

#include "llm_router.h"


#define LLM_MINUTE_MS  60000ULL


typedef enum {
    LLM_ELIG_OK = 0,
    LLM_ELIG_TRIED,
    LLM_ELIG_NO_ADDRESS,
    LLM_ELIG_BLOCKED                /* cooling and/or saturated */
} llm_elig_t;


static const struct {
    const char             *name;
    llm_router_strategy_t   strategy;
} llm_router_strategies[] = {
    { "simple-shuffle", LLM_ROUTER_SIMPLE_SHUFFLE },
    { "least-busy", LLM_ROUTER_LEAST_BUSY },
    { "latency-based-routing", LLM_ROUTER_LATENCY },
    { "usage-based-routing", LLM_ROUTER_USAGE },
    { "usage-based-routing-v2", LLM_ROUTER_USAGE },
    { "cost-based-routing", LLM_ROUTER_COST },
};


llm_router_strategy_t
llm_router_strategy(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return LLM_ROUTER_SIMPLE_SHUFFLE;
    }

    for (i = 0; i < sizeof(llm_router_strategies)
                    / sizeof(llm_router_strategies[0]); i++)
    {
        if (strcmp(name, llm_router_strategies[i].name) == 0) {
            return llm_router_strategies[i].strategy;
        }
    }

    return LLM_ROUTER_STRATEGY_UNKNOWN;
}


/* Window counters of an older minute are stale: they count as 0. */
static uint64_t
llm_window(const llm_dep_state_t *st, uint64_t now_minute, uint64_t v)
{
    return st->minute >= now_minute ? v : 0;
}


/*
 * When a deployment blocked by cooldown or rpm/tpm becomes usable again
 * (unix ms), 0 if it is not blocked.  *cooling says which limit frees last.
 */
static uint64_t
llm_blocked_until(const llm_router_req_t *req, const llm_deployment_t *d,
    const llm_dep_state_t *st, int *cooling)
{
    uint64_t  now_minute, until, minute_end;
    int       saturated;

    now_minute = req->now_ms / LLM_MINUTE_MS;
    until = 0;
    *cooling = 0;

    if (st->cooldown_until_ms > req->now_ms) {
        until = st->cooldown_until_ms;
        *cooling = 1;
    }

    saturated =
        (d->rpm > 0
         && llm_window(st, now_minute, st->minute_requests) + 1
            > (uint64_t) d->rpm)
        || (d->tpm > 0
            && llm_window(st, now_minute, st->minute_tokens)
               + req->input_tokens > (uint64_t) d->tpm);

    if (saturated) {
        minute_end = (now_minute + 1) * LLM_MINUTE_MS;

        if (minute_end > until) {
            until = minute_end;
            *cooling = 0;
        }
    }

    return until;
}


static llm_elig_t
llm_eligible(const llm_router_req_t *req, const llm_deployment_t *d,
    const llm_dep_state_t *st, const unsigned char *tried)
{
    int  cooling;

    if (tried != NULL && tried[d->index]) {
        return LLM_ELIG_TRIED;
    }

    if (d->provider != LLM_PROVIDER_MOCK && d->naddrs == 0) {
        return LLM_ELIG_NO_ADDRESS;
    }

    if (llm_blocked_until(req, d, st, &cooling) != 0) {
        return LLM_ELIG_BLOCKED;
    }

    return LLM_ELIG_OK;
}


size_t
llm_router_healthy(const llm_router_req_t *req, llm_deployment_t **deps,
    const llm_dep_state_t *st, size_t n)
{
    size_t  i, healthy;

    healthy = 0;

    for (i = 0; i < n; i++) {
        healthy += (llm_eligible(req, deps[i], &st[i], NULL) == LLM_ELIG_OK);
    }

    return healthy;
}


/* ---- strategies: each returns an index among the candidates ------------- */

/*
 * The candidates are the eligible deployments with the lowest order; the
 * helpers below test membership with this one predicate.
 */
typedef struct {
    const llm_router_req_t  *req;
    llm_deployment_t       **deps;
    const llm_dep_state_t   *st;
    const unsigned char     *tried;
    size_t                   n;
    long long                order;
} llm_cands_t;


static int
llm_cand(const llm_cands_t *c, size_t i)
{
    return c->deps[i]->order == c->order
           && llm_eligible(c->req, c->deps[i], &c->st[i], c->tried)
              == LLM_ELIG_OK;
}


/*
 * The k-th (0-based) of the candidates whose key equals `key` (keys from
 * keyf); used to break ties uniformly at random.
 */
typedef uint64_t (*llm_key_fn)(const llm_cands_t *c, size_t i);


static long
llm_random_among(const llm_cands_t *c, llm_key_fn keyf, uint64_t lo,
    uint64_t hi)
{
    size_t    i, count, k;
    uint64_t  key;

    count = 0;

    for (i = 0; i < c->n; i++) {
        if (llm_cand(c, i)) {
            key = keyf(c, i);
            count += (key >= lo && key <= hi);
        }
    }

    if (count == 0) {
        return -1;
    }

    k = (size_t) (c->req->random % count);

    for (i = 0; i < c->n; i++) {
        if (!llm_cand(c, i)) {
            continue;
        }

        key = keyf(c, i);

        if (key >= lo && key <= hi) {
            if (k == 0) {
                return (long) i;
            }
            k--;
        }
    }

    return -1;
}


static int
llm_min_key(const llm_cands_t *c, llm_key_fn keyf, uint64_t *min)
{
    size_t    i;
    uint64_t  key;
    int       found;

    found = 0;
    *min = UINT64_MAX;

    for (i = 0; i < c->n; i++) {
        if (llm_cand(c, i)) {
            key = keyf(c, i);

            if (!found || key < *min) {
                *min = key;
                found = 1;
            }
        }
    }

    return found;
}


/*
 * simple-shuffle.  The weight field is chosen from the first candidate, as
 * LiteLLM does with the first healthy deployment: mixing weights from
 * different fields would compare unlike quantities.
 */
static long long
llm_shuffle_weight(const llm_deployment_t *d, int field)
{
    long long  w;

    w = field == 1 ? d->weight : field == 2 ? d->rpm
        : field == 3 ? d->tpm : 1;

    /* without the group's weight field a deployment gets no share */
    return w > 0 ? w : 0;
}


static long
llm_pick_shuffle(const llm_cands_t *c)
{
    int                      field;
    size_t                   i;
    long long                total, point, w;
    const llm_deployment_t  *first;

    first = NULL;

    for (i = 0; i < c->n && first == NULL; i++) {
        if (llm_cand(c, i)) {
            first = c->deps[i];
        }
    }

    if (first == NULL) {
        return -1;
    }

    field = first->weight > 0 ? 1 : first->rpm > 0 ? 2
            : first->tpm > 0 ? 3 : 0;

    total = 0;

    for (i = 0; i < c->n; i++) {
        if (llm_cand(c, i)) {
            total += llm_shuffle_weight(c->deps[i], field);
        }
    }

    if (total <= 0) {
        /* cannot happen (the first candidate has weight), but stay safe */
        field = 0;
        total = 0;

        for (i = 0; i < c->n; i++) {
            total += llm_cand(c, i);
        }
    }

    point = (long long) (c->req->random % (unsigned long long) total);

    for (i = 0; i < c->n; i++) {
        if (!llm_cand(c, i)) {
            continue;
        }

        w = llm_shuffle_weight(c->deps[i], field);

        if (point < w) {
            return (long) i;
        }

        point -= w;
    }

    return -1;
}


static uint64_t
llm_key_in_flight(const llm_cands_t *c, size_t i)
{
    return c->st[i].in_flight;
}


static uint64_t
llm_key_tokens(const llm_cands_t *c, size_t i)
{
    return llm_window(&c->st[i], c->req->now_ms / LLM_MINUTE_MS,
                      c->st[i].minute_tokens);
}


/* Unknown latency counts as 0: a deployment without samples gets tried. */
static uint64_t
llm_key_latency(const llm_cands_t *c, size_t i)
{
    const llm_dep_state_t  *st = &c->st[i];

    if (st->samples == 0) {
        return 0;
    }

    return c->req->stream ? st->ttft_us : st->latency_us;
}


/* Lowest (and ties) or, for latency, within (1 + buffer) x the lowest. */
static long
llm_pick_lowest(const llm_cands_t *c, llm_key_fn keyf, uint32_t permille)
{
    uint64_t  min, hi, slack;

    if (!llm_min_key(c, keyf, &min)) {
        return -1;
    }

    slack = permille ? min / 1000 * permille + min % 1000 * permille / 1000
            : 0;
    hi = min + slack >= min ? min + slack : UINT64_MAX;

    return llm_random_among(c, keyf, min, hi);
}


/*
 * cost-based-routing: input + output price.  An unconfigured price sorts
 * after every configured one (LiteLLM prices unknown models at a
 * prohibitive default).  No tie randomisation: the first cheapest wins.
 */
static uint64_t
llm_cost(const llm_cands_t *c, size_t i)
{
    const llm_router_price_t  *p;

    if (c->req->prices == NULL) {
        return UINT64_MAX;
    }

    p = &c->req->prices[c->deps[i]->index];

    if (!p->known) {
        return UINT64_MAX;
    }

    return p->input + p->output >= p->input ? p->input + p->output
                                              : UINT64_MAX - 1;
}


static long
llm_pick_cost(const llm_cands_t *c)
{
    size_t    i;
    long      best;
    uint64_t  cost, best_cost;

    best = -1;
    best_cost = 0;

    for (i = 0; i < c->n; i++) {
        if (!llm_cand(c, i)) {
            continue;
        }

        cost = llm_cost(c, i);

        if (best < 0 || cost < best_cost) {
            best = (long) i;
            best_cost = cost;
        }
    }

    return best;
}


/* ---- the pick ------------------------------------------------------------ */

static llm_router_outcome_t
llm_router_none(const llm_router_req_t *req, llm_deployment_t **deps,
    const llm_dep_state_t *st, size_t n, const unsigned char *tried,
    llm_router_result_t *res)
{
    size_t    i, ntried, nblocked;
    uint64_t  until, soonest, wait_ms;
    int       cooling, soonest_cooling;

    ntried = 0;
    nblocked = 0;
    soonest = 0;
    soonest_cooling = 0;

    for (i = 0; i < n; i++) {
        switch (llm_eligible(req, deps[i], &st[i], tried)) {

        case LLM_ELIG_TRIED:
            ntried++;
            break;

        case LLM_ELIG_BLOCKED:
            nblocked++;
            until = llm_blocked_until(req, deps[i], &st[i], &cooling);

            if (soonest == 0 || until < soonest) {
                soonest = until;
                soonest_cooling = cooling;
            }
            break;

        default:
            break;
        }
    }

    res->index = -1;
    res->retry_after_s = 0;

    if (nblocked) {
        /* a blocked one frees up later: say when, so clients can wait */
        wait_ms = soonest - req->now_ms;
        res->retry_after_s = (wait_ms + 999) / 1000;
        res->outcome = soonest_cooling ? LLM_ROUTER_ALL_COOLING
                                       : LLM_ROUTER_ALL_SATURATED;

    } else if (ntried) {
        res->outcome = LLM_ROUTER_ALL_TRIED;

    } else {
        res->outcome = LLM_ROUTER_NO_DEPLOYMENT;
    }

    return res->outcome;
}


llm_router_outcome_t
llm_router_pick(const llm_router_req_t *req, llm_deployment_t **deps,
    const llm_dep_state_t *st, size_t n, const unsigned char *tried,
    llm_router_result_t *res)
{
    int          found;
    long         pick;
    size_t       i;
    llm_cands_t  c;

    found = 0;
    c.order = 0;

    for (i = 0; i < n; i++) {
        if (llm_eligible(req, deps[i], &st[i], tried) == LLM_ELIG_OK
            && (!found || deps[i]->order < c.order))
        {
            c.order = deps[i]->order;
            found = 1;
        }
    }

    if (!found) {
        return llm_router_none(req, deps, st, n, tried, res);
    }

    c.req = req;
    c.deps = deps;
    c.st = st;
    c.tried = tried;
    c.n = n;

    switch (req->strategy) {

    case LLM_ROUTER_LEAST_BUSY:
        pick = llm_pick_lowest(&c, llm_key_in_flight, 0);
        break;

    case LLM_ROUTER_LATENCY:
        pick = llm_pick_lowest(&c, llm_key_latency,
                               req->latency_buffer_permille);
        break;

    case LLM_ROUTER_USAGE:
        pick = llm_pick_lowest(&c, llm_key_tokens, 0);
        break;

    case LLM_ROUTER_COST:
        pick = llm_pick_cost(&c);
        break;

    default:
        pick = llm_pick_shuffle(&c);
        break;
    }

    res->outcome = LLM_ROUTER_PICKED;
    res->index = pick;
    res->retry_after_s = 0;

    return res->outcome;
}
