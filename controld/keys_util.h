/*
 * Small, pure helpers for virtual keys: generating and naming keys, money
 * in micro-dollars, LiteLLM-style durations ("30s", "1h", "30d", "1mo")
 * and when a budget resets next.  No I/O besides the CSPRNG.
 */

#ifndef KEYS_UTIL_H
#define KEYS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "sk-" + 43 url-safe base64 characters (32 random bytes) + NUL. */
#define KEYS_KEY_LEN    46
#define KEYS_TOKEN_LEN  64              /* SHA-256 hex */

/* A fresh key from OpenSSL's CSPRNG; -1 if the CSPRNG failed. */
int keys_generate(char out[KEYS_KEY_LEN + 1]);

/* token = lowercase hex SHA-256 of the key (what is stored). */
void keys_token(const char *key, char out[KEYS_TOKEN_LEN + 1]);

/* 64 lowercase hex digits? */
int keys_is_token(const char *s);

/* LiteLLM's key_name: "sk-...XXXX" (the last 4 characters). */
void keys_name(const char *key, char *out, size_t size);

/* USD <-> integer micro-dollars (rounded to the nearest micro-dollar). */
int64_t keys_usd_to_micros(double usd);
double keys_micros_to_usd(int64_t micros);

/* A parsed duration: `count` units of seconds or of calendar months. */
typedef struct {
    int64_t  count;
    int      months;                    /* 1: count is months ("mo") */
} keys_duration_t;

/*
 * "30s" "30m" "1h" "30d" "2w" "1mo" (also "30" = seconds, and the long
 * unit names LiteLLM accepts: "seconds", "minutes", ...).  0 or -1.
 */
int keys_duration_parse(const char *text, keys_duration_t *d);

/* from + d (months: calendar months in UTC, day clamped to the month). */
int64_t keys_duration_add(int64_t from, const keys_duration_t *d);

/*
 * The budget's next reset strictly after `now`, stepping from `reset_at`
 * in whole durations (so the schedule does not drift).  reset_at 0 means
 * "not scheduled yet": the first reset is now + d.
 */
int64_t keys_next_reset(int64_t reset_at, int64_t now,
    const keys_duration_t *d);

/* "2025-01-31T12:00:00+00:00" (UTC). */
void keys_iso_time(int64_t t, char *out, size_t size);

/* ISO 8601 ("2025-01-31", "...T12:00:00", fractions, "Z", "+02:00") or a
 * unix time in digits -> unix seconds; -1 when unreadable. */
int64_t keys_parse_time(const char *text);

/* "YYYY-MM-DD" of t in UTC. */
void keys_day(int64_t t, char out[11]);

#endif
