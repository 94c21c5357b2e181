/* Logging (see ctl_log.h). */

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ctl_log.h"

static const char  *log_program = "ngx_llm";
static FILE        *log_file;

int
ctl_log_init(const char *program, const char *file)
{
    FILE  *f;

    log_program = program;
    if (file == NULL) {
        return 0;
    }
    f = fopen(file, "ae");
    if (f == NULL) {
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_file = f;
    return 0;
}

void
ctl_log(const char *fmt, ...)
{
    char        stamp[32];
    time_t      now;
    struct tm   tm;
    va_list     ap;
    FILE       *out = log_file ? log_file : stderr;

    /* A log file is read later, so its lines carry the time. */
    if (log_file != NULL) {
        now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
        fputs(stamp, out);
    }

    fprintf(out, "%s: ", log_program);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fflush(out);
}
