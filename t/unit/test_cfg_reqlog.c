/*
 * The request-log reader (controld/ctl_reqlog.c): times, windows, status
 * filters, and files read backwards: newest first, a line still being
 * written left out, rotations after the current file, a chunk boundary.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_reqlog.h"
#include "unit.h"

UNIT_TEST(times_and_windows)
{
    CHECK(reqlog_parse_time("2026-12-06T14:20:11+00:00") == 1796566811);
    CHECK(reqlog_parse_time("2026-12-06T15:20:11+01:00") == 1796566811);
    CHECK(reqlog_parse_time("2026-12-06T09:20:11-05:00") == 1796566811);
    CHECK(reqlog_parse_time("yesterday") == -1);
    CHECK(reqlog_parse_window("15m") == 900);
    CHECK(reqlog_parse_window("24h") == 86400);
    CHECK(reqlog_parse_window("7d") == 604800);
    CHECK(reqlog_parse_window("90") == 90);
    CHECK(reqlog_parse_window("1y") == -1);
    CHECK(reqlog_parse_window("-1h") == -1);
    CHECK(reqlog_status_valid("4xx") && reqlog_status_valid("429"));
    CHECK(!reqlog_status_valid("7zz") && !reqlog_status_valid("99")
          && !reqlog_status_valid("600"));
}

static void
write_file(const char *path, const char *text)
{
    FILE  *fp = fopen(path, "w");

    fputs(text, fp);
    fclose(fp);
}

UNIT_TEST(newest_first_across_rotations)
{
    char              dir[] = "/tmp/reqlog-unit-XXXXXX", base[128], p[160];
    reqlog_reader_t  *r;
    json_t           *j;
    time_t            ts;
    char             *big;
    int               n = 0, i;
    const char       *want[] = { "c", "b", "a", "z" };

    CHECK(mkdtemp(dir) != NULL);
    snprintf(base, sizeof(base), "%s/requests.log", dir);
    write_file(base, "{\"request_id\":\"a\",\"time\":\"2026-12-06T14:00:00+00:00\"}\n"
               "not json\n\n"
               "{\"request_id\":\"b\"}\n{\"request_id\":\"c\"}\n"
               "{\"request_id\":\"half");
    snprintf(p, sizeof(p), "%s.1", base);
    write_file(p, "{\"request_id\":\"z\"}\n");
    r = reqlog_open(base);
    while ((j = reqlog_next(r, &ts)) != NULL) {
        if (n < 4) {
            CHECK_STR(json_string_value(json_object_get(j, "request_id")),
                      want[n]);
        }
        if (n == 2) {
            CHECK(ts == 1796565600);
        }
        n++;
        json_decref(j);
    }
    CHECK(n == 4);
    CHECK(reqlog_found(r));
    reqlog_close(r);

    /* lines across 64 KB chunk boundaries come back whole */
    big = malloc(300000);
    big[0] = '\0';
    for (i = 0; i < 3000; i++) {
        sprintf(big + strlen(big), "{\"request_id\":\"%05d\",\"pad\":\"%060d\"}\n",
                i, i);
    }
    write_file(base, big);
    unlink(p);
    r = reqlog_open(base);
    n = 0;
    while ((j = reqlog_next(r, &ts)) != NULL) {
        char  id[8];

        snprintf(id, sizeof(id), "%05d", 2999 - n);
        if (strcmp(json_string_value(json_object_get(j, "request_id")), id)
            != 0)
        {
            CHECK_STR(json_string_value(json_object_get(j, "request_id")),
                      id);
            json_decref(j);
            break;
        }
        n++;
        json_decref(j);
    }
    CHECK(n == 3000);
    reqlog_close(r);
    free(big);
    unlink(base);
    rmdir(dir);
}

UNIT_MAIN(times_and_windows, newest_first_across_rotations)
