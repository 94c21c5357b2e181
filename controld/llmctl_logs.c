/*
 * llmctl logs [N] [--follow] [--model M] [--status 4xx|5xx|CODE]
 *             [--key ALIAS] [--json]
 *
 * Reads PREFIX/logs/requests.log, the JSON lines nginx writes (one per
 * gateway request, docs/operations.md "Request log"), and prints the last
 * N that match, oldest first like tail; --follow then prints new ones as
 * they come, across a rotation.  Exit 0, 1 when the log cannot be read,
 * 2 on a usage error.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llmctl.h"

typedef struct {
    long         n;
    int          follow, json;
    const char  *model, *status, *key;
} logs_opts_t;

static int
matches(const logs_opts_t *f, json_t *line)
{
    long         status;
    const char  *s;

    if (f->model != NULL) {
        s = json_string_value(json_object_get(line, "model"));
        if (s == NULL || strcmp(s, f->model) != 0) {
            s = json_string_value(json_object_get(line, "model_group"));
            if (s == NULL || strcmp(s, f->model) != 0) {
                return 0;
            }
        }
    }
    if (f->key != NULL) {
        s = json_string_value(json_object_get(line, "key_alias"));
        if (s == NULL || strcmp(s, f->key) != 0) {
            return 0;
        }
    }
    if (f->status != NULL) {
        status = (long) json_integer_value(json_object_get(line, "status"));
        if (strlen(f->status) == 3 && f->status[1] == 'x') {
            if (status / 100 != f->status[0] - '0') {
                return 0;
            }
        } else if (status != strtol(f->status, NULL, 10)) {
            return 0;
        }
    }
    return 1;
}

static const char *
str(json_t *line, const char *name)
{
    const char  *s = json_string_value(json_object_get(line, name));

    return s != NULL && s[0] ? s : "-";
}

static void
print_line(const logs_opts_t *f, const char *raw, json_t *line, int tty)
{
    long         status;
    const char  *colour = "";

    if (f->json) {
        fputs(raw, stdout);
        fputc('\n', stdout);
        return;
    }
    status = (long) json_integer_value(json_object_get(line, "status"));
    if (tty) {
        colour = status >= 500 ? "\033[31m" : status >= 400 ? "\033[33m"
                                            : "\033[32m";
    }
    printf("%-25.25s %s%3ld%s %-16.16s %-20.20s %-10.10s %-12.12s %7lldms "
           "%6lld/%-6lld $%.6f %s\n",
           str(line, "time"), colour, status, tty ? "\033[0m" : "",
           str(line, "model"), str(line, "deployment"), str(line, "provider"),
           str(line, "key_alias"),
           (long long) json_integer_value(json_object_get(line,
                                                          "latency_ms")),
           (long long) json_integer_value(json_object_get(line, "tokens_in")),
           (long long) json_integer_value(json_object_get(line,
                                                          "tokens_out")),
           json_number_value(json_object_get(line, "cost")),
           str(line, "error"));
}

/* Prints the matching lines of buf from line `skip` on, at most the last
 * `keep` (0: all). */
static void
print_matching(const logs_opts_t *f, char *buf, long keep, int tty)
{
    char    *line, *next, **kept;
    json_t  *j, **kj;
    long     n = 0, i, start;

    kept = calloc((size_t) (keep > 0 ? keep : 1), sizeof(char *));
    kj = calloc((size_t) (keep > 0 ? keep : 1), sizeof(json_t *));
    for (line = buf; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next == NULL) {
            break;                      /* a line still being written */
        }
        *next++ = '\0';
        j = json_loads(line, 0, NULL);
        if (j == NULL || !matches(f, j)) {
            json_decref(j);
            continue;
        }
        if (keep <= 0) {
            print_line(f, line, j, tty);
            json_decref(j);
            continue;
        }
        json_decref(kj[n % keep]);
        kept[n % keep] = line;
        kj[n % keep] = j;
        n++;
    }
    start = n > keep ? n - keep : 0;
    for (i = start; keep > 0 && i < n; i++) {
        print_line(f, kept[i % keep], kj[i % keep], tty);
    }
    for (i = 0; keep > 0 && i < keep; i++) {
        json_decref(kj[i]);
    }
    free(kept);
    free(kj);
}

static char *
read_from(const char *path, off_t from, off_t *end, ino_t *ino)
{
    FILE        *fp;
    struct stat  st;
    char        *buf;
    size_t       n;

    fp = fopen(path, "r");
    if (fp == NULL) {
        return NULL;
    }
    if (fstat(fileno(fp), &st) != 0 || st.st_size < from) {
        from = 0;                       /* truncated or replaced */
    }
    *ino = st.st_ino;
    buf = malloc((size_t) (st.st_size - from) + 1);
    fseeko(fp, from, SEEK_SET);
    n = fread(buf, 1, (size_t) (st.st_size - from), fp);
    buf[n] = '\0';
    /* only whole lines count as read */
    while (n > 0 && buf[n - 1] != '\n') {
        n--;
    }
    buf[n] = '\0';
    *end = from + (off_t) n;
    fclose(fp);
    return buf;
}

static int
usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "llmctl logs: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
    return 2;
}

int
llmctl_cmd_logs(llmctl_options_t *o)
{
    logs_opts_t  f = { 50, 0, 0, NULL, NULL, NULL };
    char        *path, *buf, *endp;
    off_t        end;
    ino_t        ino, now_ino;
    struct stat  st;
    int          i, tty;

    for (i = 0; i < o->nargs; i++) {
        const char  *a = o->args[i];

        if (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0) {
            f.follow = 1;
        } else if (strcmp(a, "--json") == 0) {
            f.json = 1;
        } else if (strcmp(a, "--model") == 0 || strcmp(a, "--status") == 0
                   || strcmp(a, "--key") == 0)
        {
            if (i + 1 >= o->nargs) {
                return usage_error("a value is needed after", a);
            }
            *(a[2] == 'm' ? &f.model : a[2] == 's' ? &f.status : &f.key)
                = o->args[++i];
        } else if (a[0] != '-') {
            f.n = strtol(a, &endp, 10);
            if (*endp != '\0' || f.n <= 0) {
                return usage_error("N must be a positive number, not", a);
            }
        } else {
            return usage_error("unknown flag", a);
        }
    }
    if (f.status != NULL
        && !(strlen(f.status) == 3
             && ((f.status[0] >= '1' && f.status[0] <= '5'
                  && strcmp(f.status + 1, "xx") == 0)
                 || strtol(f.status, NULL, 10) >= 100)))
    {
        return usage_error("--status takes 4xx, 5xx or a code, not",
                           f.status);
    }

    path = llmctl_prefix_path(o, "logs/requests.log");
    tty = isatty(STDOUT_FILENO);
    buf = read_from(path, 0, &end, &ino);
    if (buf == NULL) {
        fprintf(stderr, "llmctl logs: cannot read %s: %s\n", path,
                strerror(errno));
        free(path);
        return 1;
    }
    if (!f.json) {
        printf("%-25s %-3s %-16s %-20s %-10s %-12s %9s %13s %9s %s\n",
               "TIME", "ST", "MODEL", "DEPLOYMENT", "PROVIDER", "KEY",
               "LATENCY", "TOKENS IN/OUT", "COST", "ERROR");
    }
    print_matching(&f, buf, f.n, tty);
    free(buf);
    fflush(stdout);

    while (f.follow) {
        usleep(250000);
        if (stat(path, &st) != 0) {
            continue;
        }
        now_ino = st.st_ino;
        if (now_ino != ino) {
            end = 0;                    /* rotated: the new file from 0 */
        }
        buf = read_from(path, end, &end, &ino);
        if (buf != NULL) {
            print_matching(&f, buf, 0, tty);
            free(buf);
            fflush(stdout);
        }
    }
    free(path);
    return 0;
}
