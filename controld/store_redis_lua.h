/*
 * Lua scripts the Redis store runs with EVAL: each is one atomic step, so
 * a half-done change is never visible to another node, and a flush whose
 * answer was lost can be retried without counting twice (it only applies
 * where the stored mark is still the one controld started from).
 * Layout: docs/keys-and-budgets.md, "Redis".
 */

#ifndef STORE_REDIS_LUA_H
#define STORE_REDIS_LUA_H

/* ARGV: record prefix, index set, id, field, value, ... */
#define STORE_LUA_PUT                                                         \
    "local k = ARGV[1] .. ARGV[3]\n"                                          \
    "redis.call('DEL', k)\n"                                                  \
    "if #ARGV > 3 then redis.call('HSET', k, unpack(ARGV, 4)) end\n"          \
    "redis.call('SADD', ARGV[2], ARGV[3])\n"                                  \
    "return redis.call('INCR', 'llm:keys:version')\n"

/* ARGV: record prefix, index set, id */
#define STORE_LUA_DEL                                                         \
    "redis.call('DEL', ARGV[1] .. ARGV[3])\n"                                 \
    "redis.call('SREM', ARGV[2], ARGV[3])\n"                                  \
    "return redis.call('INCR', 'llm:keys:version')\n"

/* ARGV: old token, new token, field, value, ...  (spend moves along) */
#define STORE_LUA_RENAME                                                      \
    "local new = 'llm:key:' .. ARGV[2]\n"                                     \
    "redis.call('DEL', new)\n"                                                \
    "redis.call('HSET', new, unpack(ARGV, 3))\n"                              \
    "redis.call('DEL', 'llm:key:' .. ARGV[1])\n"                              \
    "redis.call('SREM', 'llm:keys', ARGV[1])\n"                               \
    "redis.call('SADD', 'llm:keys', ARGV[2])\n"                               \
    "local s = 'llm:spend:key:' .. ARGV[1]\n"                                 \
    "if redis.call('EXISTS', s) == 1 then\n"                                  \
    "  redis.call('RENAME', s, 'llm:spend:key:' .. ARGV[2])\n"                \
    "  redis.call('SADD', 'llm:spend:index:key', ARGV[2])\n"                  \
    "end\n"                                                                   \
    "return redis.call('INCR', 'llm:keys:version')\n"

/*
 * ARGV: epoch, day, then per entry: kind, id, group ('' = none),
 * old mark ('' = none), new mark, d_spend, d_prompt, d_completion,
 * d_requests.  Answers per entry {mark now, lifetime spend, prompt,
 * completion, requests}.
 */
#define STORE_LUA_FLUSH                                                       \
    "local marks = 'llm:drain:' .. ARGV[1]\n"                                 \
    "local day = ARGV[2]\n"                                                   \
    "local ttl = 34560000\n"                                                  \
    "local fields = {'spend_micros', 'prompt_tokens', 'completion_tokens',"   \
    " 'requests'}\n"                                                          \
    "local out, applied = {}, 0\n"                                            \
    "local function add(h, i)\n"                                              \
    "  for j = 1, 4 do\n"                                                     \
    "    local d = tonumber(ARGV[i + j - 1])\n"                               \
    "    if d ~= 0 then redis.call('HINCRBY', h, fields[j], d) end\n"         \
    "  end\n"                                                                 \
    "end\n"                                                                   \
    "local function book(f, i)\n"                                             \
    "  add('llm:spend:' .. f, i)\n"                                           \
    "  local dk = 'llm:spend:day:' .. day .. ':' .. f\n"                      \
    "  add(dk, i)\n"                                                          \
    "  redis.call('EXPIRE', dk, ttl)\n"                                       \
    "  redis.call('SADD', 'llm:spend:dayindex:' .. day, f)\n"                 \
    "end\n"                                                                   \
    "for i = 3, #ARGV, 9 do\n"                                                \
    "  local kind, id, group = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"           \
    "  local f = kind .. ':' .. id\n"                                         \
    "  local cur = redis.call('HGET', marks, f)\n"                            \
    "  if not cur then cur = '' end\n"                                        \
    "  if cur == ARGV[i + 3] then\n"                                          \
    "    book(f, i + 5)\n"                                                    \
    "    redis.call('SADD', 'llm:spend:index:' .. kind, id)\n"                \
    "    if group ~= '' then\n"                                               \
    "      book('model:' .. group, i + 5)\n"                                  \
    "      redis.call('SADD', 'llm:spend:index:model', group)\n"              \
    "    end\n"                                                               \
    "    cur = ARGV[i + 4]\n"                                                 \
    "    redis.call('HSET', marks, f, cur)\n"                                 \
    "    applied = applied + 1\n"                                             \
    "  end\n"                                                                 \
    "  local t = redis.call('HMGET', 'llm:spend:' .. f, unpack(fields))\n"    \
    "  out[#out + 1] = {cur, t[1] or '0', t[2] or '0', t[3] or '0',"          \
    " t[4] or '0'}\n"                                                         \
    "end\n"                                                                   \
    "redis.call('EXPIRE', 'llm:spend:dayindex:' .. day, ttl)\n"               \
    "redis.call('SADD', 'llm:spend:days', day)\n"                             \
    "redis.call('EXPIRE', marks, 2592000)\n"                                  \
    "if applied > 0 then redis.call('INCR', 'llm:spend:version') end\n"       \
    "return out\n"

/* ARGV: record key, its spend hash, expected budget_reset_at, next.
 * Answers -1 (no record), 0 (someone else reset), or {1, base}. */
#define STORE_LUA_RESET                                                       \
    "local cur = redis.call('HGET', ARGV[1], 'budget_reset_at')\n"            \
    "if not cur then return -1 end\n"                                         \
    "if cur ~= ARGV[3] then return 0 end\n"                                   \
    "local life = redis.call('HGET', ARGV[2], 'spend_micros')\n"              \
    "if not life then life = '0' end\n"                                       \
    "redis.call('HSET', ARGV[1], 'spend_base_micros', life,"                  \
    " 'budget_reset_at', ARGV[4])\n"                                          \
    "redis.call('INCR', 'llm:keys:version')\n"                                \
    "return {1, life}\n"

/* No ARGV: every key, team and spend record goes (before a restore or a
 * purge writes the new content back); the drain marks stay. */
#define STORE_LUA_WIPE                                                        \
    "for _, id in ipairs(redis.call('SMEMBERS', 'llm:keys')) do\n"            \
    "  redis.call('DEL', 'llm:key:' .. id) end\n"                             \
    "for _, id in ipairs(redis.call('SMEMBERS', 'llm:teams')) do\n"           \
    "  redis.call('DEL', 'llm:team:' .. id) end\n"                            \
    "redis.call('DEL', 'llm:keys', 'llm:teams')\n"                            \
    "for _, kind in ipairs({'key', 'team', 'model', 'deployment'}) do\n"      \
    "  local ix = 'llm:spend:index:' .. kind\n"                               \
    "  for _, id in ipairs(redis.call('SMEMBERS', ix)) do\n"                  \
    "    redis.call('DEL', 'llm:spend:' .. kind .. ':' .. id) end\n"          \
    "  redis.call('DEL', ix) end\n"                                           \
    "for _, day in ipairs(redis.call('SMEMBERS', 'llm:spend:days')) do\n"     \
    "  for _, f in ipairs(redis.call('SMEMBERS',\n"                           \
    "                     'llm:spend:dayindex:' .. day)) do\n"                \
    "    redis.call('DEL', 'llm:spend:day:' .. day .. ':' .. f) end\n"        \
    "  redis.call('DEL', 'llm:spend:dayindex:' .. day) end\n"                 \
    "redis.call('DEL', 'llm:spend:days')\n"                                   \
    "redis.call('INCR', 'llm:spend:version')\n"                               \
    "return redis.call('INCR', 'llm:keys:version')\n"

#endif
