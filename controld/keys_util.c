/* Helpers for virtual keys (see keys_util.h). */

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cfg_hash.h"
#include "keys_util.h"

int
keys_generate(char out[KEYS_KEY_LEN + 1])
{
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char      raw[33];
    uint32_t           bits;
    size_t             i, o = 3;

    /* 33 bytes = 264 bits: 44 sextets, of which we keep 43 (258 bits,
     * i.e. every one of the 256 random bits of a 32-byte key). */
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return -1;
    }
    memcpy(out, "sk-", 3);
    for (i = 0; i + 3 <= sizeof(raw) && o < KEYS_KEY_LEN; i += 3) {
        bits = (uint32_t) raw[i] << 16 | (uint32_t) raw[i + 1] << 8
               | raw[i + 2];
        out[o++] = alphabet[(bits >> 18) & 63];
        out[o++] = alphabet[(bits >> 12) & 63];
        out[o++] = alphabet[(bits >> 6) & 63];
        if (o < KEYS_KEY_LEN) {
            out[o++] = alphabet[bits & 63];
        }
    }
    out[KEYS_KEY_LEN] = '\0';
    memset(raw, 0, sizeof(raw));
    return 0;
}

void
keys_token(const char *key, char out[KEYS_TOKEN_LEN + 1])
{
    cfg_sha256_hex(key, strlen(key), out);
}

int
keys_is_token(const char *s)
{
    size_t  i;

    for (i = 0; i < KEYS_TOKEN_LEN; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[KEYS_TOKEN_LEN] == '\0';
}

void
keys_name(const char *key, char *out, size_t size)
{
    size_t  len = strlen(key);

    snprintf(out, size, "sk-...%s", len >= 4 ? key + len - 4 : "");
}

int64_t
keys_usd_to_micros(double usd)
{
    return (int64_t) llround(usd * 1e6);
}

double
keys_micros_to_usd(int64_t micros)
{
    return (double) micros / 1e6;
}

int
keys_duration_parse(const char *text, keys_duration_t *d)
{
    static const struct { const char *name; int64_t seconds; int months; }
    units[] = {
        { "s", 1, 0 }, { "sec", 1, 0 }, { "second", 1, 0 },
        { "seconds", 1, 0 }, { "m", 60, 0 }, { "min", 60, 0 },
        { "minute", 60, 0 }, { "minutes", 60, 0 }, { "h", 3600, 0 },
        { "hr", 3600, 0 }, { "hour", 3600, 0 }, { "hours", 3600, 0 },
        { "d", 86400, 0 }, { "day", 86400, 0 }, { "days", 86400, 0 },
        { "w", 604800, 0 }, { "week", 604800, 0 }, { "weeks", 604800, 0 },
        { "mo", 1, 1 }, { "month", 1, 1 }, { "months", 1, 1 },
    };
    const char  *p = text;
    char        *end;
    long long    n;
    size_t       i;

    if (text == NULL) {
        return -1;
    }
    while (isspace((unsigned char) *p)) {
        p++;
    }
    if (!isdigit((unsigned char) *p)) {
        return -1;
    }
    n = strtoll(p, &end, 10);
    if (n <= 0 || n > 100000000LL) {
        return -1;
    }
    while (isspace((unsigned char) *end)) {
        end++;
    }
    if (*end == '\0') {
        d->count = n;
        d->months = 0;
        return 0;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].name) == 0) {
            d->months = units[i].months;
            d->count = units[i].months ? n : n * units[i].seconds;
            if (d->months && n > 12000) {
                return -1;
            }
            return 0;
        }
    }
    return -1;
}

static int
days_in_month(int year, int month)
{
    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };

    if (month == 1 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        return 29;
    }
    return days[month];
}

int64_t
keys_duration_add(int64_t from, const keys_duration_t *d)
{
    struct tm  tm;
    time_t     t = (time_t) from;
    int64_t    months;

    if (!d->months) {
        return from + d->count;
    }
    gmtime_r(&t, &tm);
    months = (int64_t) tm.tm_mon + d->count;
    tm.tm_year += (int) (months / 12);
    tm.tm_mon = (int) (months % 12);
    if (tm.tm_mday > days_in_month(tm.tm_year + 1900, tm.tm_mon)) {
        tm.tm_mday = days_in_month(tm.tm_year + 1900, tm.tm_mon);
    }
    return (int64_t) timegm(&tm);
}

int64_t
keys_next_reset(int64_t reset_at, int64_t now, const keys_duration_t *d)
{
    int64_t  steps;

    if (reset_at <= 0) {
        return keys_duration_add(now, d);
    }
    if (reset_at > now) {
        return reset_at;
    }
    if (!d->months) {
        /* Whole periods past, in one step (a long outage must not loop). */
        steps = (now - reset_at) / d->count + 1;
        return reset_at + steps * d->count;
    }
    while (reset_at <= now) {
        reset_at = keys_duration_add(reset_at, d);
    }
    return reset_at;
}

void
keys_iso_time(int64_t t, char *out, size_t size)
{
    struct tm  tm;
    time_t     tt = (time_t) t;

    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

void
keys_day(int64_t t, char out[11])
{
    struct tm  tm;
    time_t     tt = (time_t) t;

    gmtime_r(&tt, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Reads exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
    int  v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char) (*p)[i])) {
            return -1;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int64_t
keys_parse_time(const char *text)
{
    struct tm    tm;
    const char  *p = text;
    int          y, mo, d, h = 0, mi = 0, s = 0, oh, om, sign;
    int64_t      t;

    if (text == NULL || *text == '\0') {
        return -1;
    }
    if (strspn(text, "0123456789") == strlen(text)) {
        return strlen(text) < 16 ? (int64_t) strtoll(text, NULL, 10) : -1;
    }

    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo)
        || *p++ != '-' || digits(&p, 2, &d))
    {
        return -1;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) {
            return -1;
        }
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s)) {
                return -1;
            }
        }
        if (*p == '.') {
            p++;
            while (isdigit((unsigned char) *p)) {
                p++;
            }
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    t = (int64_t) timegm(&tm);

    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;
        if (digits(&p, 2, &oh)) {
            return -1;
        }
        if (*p == ':') {
            p++;
        }
        if (digits(&p, 2, &om)) {
            return -1;
        }
        t -= sign * (oh * 3600 + om * 60);
    }
    return *p == '\0' ? t : -1;
}
