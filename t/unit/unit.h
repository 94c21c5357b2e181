/*
 * A minimal unit-test harness: each t/unit/test_*.c defines tests with
 * UNIT_TEST(name) and ends with UNIT_MAIN(test1, test2, ...).  The binary
 * prints one line per failed check and a closing "N passed, N failed".
 */

#ifndef LLM_UNIT_H
#define LLM_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int  unit_passed, unit_failed;
static const char  *unit_current;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) {                                                           \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s: %s:%d: %s\n", unit_current, __FILE__,   \
                    __LINE__, #cond);                                         \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char *a_ = (a), *b_ = (b);                                      \
        if (a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0) {                \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s: %s:%d: %s == %s\n  got:  %s\n  want: %s\n",\
                    unit_current, __FILE__, __LINE__, #a, #b,                 \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
        }                                                                     \
    } while (0)

#define UNIT_TEST(name)  static void name(void)


/* A whole file, malloc'd and NUL-terminated; NULL when it cannot be read. */

__attribute__((unused)) static char *
unit_read_file(const char *path, size_t *len)
{
    long   n;
    char  *buf;
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = (n < 0) ? NULL : malloc((size_t) n + 1);
    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        free(buf);
        fclose(f);
        return NULL;
    }

    fclose(f);
    buf[n] = '\0';
    *len = (size_t) n;

    return buf;
}

typedef void (*unit_fn)(void);

#define UNIT_MAIN(...)                                                        \
    int main(void)                                                            \
    {                                                                         \
        unit_fn     fns[] = { __VA_ARGS__ };                                  \
        const char *names = #__VA_ARGS__;                                     \
        size_t      i;                                                        \
        (void) names;                                                         \
        for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {                  \
            unit_current = __FILE__;                                          \
            fns[i]();                                                         \
        }                                                                     \
        printf("%s: %d passed, %d failed\n", __FILE__, unit_passed,           \
               unit_failed);                                                  \
        return unit_failed ? 1 : 0;                                           \
    }

#endif
