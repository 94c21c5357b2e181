/*
 * Log rotation: ctl_logrotate's renames (NAME -> NAME.1 -> ..., the oldest
 * beyond the count removed, nothing below the size touched) and the
 * general_settings that drive it (request_log_max_size with its units,
 * request_log_max_files), and log_payloads with its size; and the
 * stored responses' responses_ttl, responses_max_size and
 * responses_max_entry_size (doc "responses").
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "ctl_logrotate.h"
#include "unit.h"

static char  dir[] = "/tmp/test_logrotate.XXXXXX";

static void
write_file(const char *path, const char *fill, size_t n)
{
    FILE  *f = fopen(path, "w");

    while (f != NULL && n--) {
        fputs(fill, f);
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* The first byte of a file, or 0 when it does not exist. */
static int
first_byte(const char *path)
{
    FILE  *f = fopen(path, "r");
    int    c;

    if (f == NULL) {
        return 0;
    }
    c = fgetc(f);
    fclose(f);
    return c;
}

static int
exists(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0;
}

UNIT_TEST(renames_in_order_and_drops_the_oldest)
{
    char  log[256], p1[300], p2[300], p3[300];

    snprintf(log, sizeof(log), "%s/requests.log", dir);
    snprintf(p1, sizeof(p1), "%s.1", log);
    snprintf(p2, sizeof(p2), "%s.2", log);
    snprintf(p3, sizeof(p3), "%s.3", log);

    CHECK(ctl_logrotate(log, 4096, 2) == 0);         /* no file yet */

    write_file(log, "a", 4095);
    CHECK(ctl_logrotate(log, 4096, 2) == 0);         /* below the size */
    CHECK(first_byte(log) == 'a' && !exists(p1));

    write_file(log, "a", 4096);
    CHECK(ctl_logrotate(log, 4096, 2) == 1);
    CHECK(!exists(log) && first_byte(p1) == 'a');

    write_file(log, "b", 5000);
    CHECK(ctl_logrotate(log, 4096, 2) == 1);
    CHECK(first_byte(p1) == 'b' && first_byte(p2) == 'a');

    write_file(log, "c", 5000);
    CHECK(ctl_logrotate(log, 4096, 2) == 1);
    CHECK(first_byte(p1) == 'c' && first_byte(p2) == 'b' && !exists(p3));

    /* a smaller count drops what a larger one kept */
    write_file(p3, "x", 10);
    write_file(log, "d", 5000);
    CHECK(ctl_logrotate(log, 4096, 1) == 1);
    CHECK(first_byte(p1) == 'd' && !exists(p2) && !exists(p3));

    write_file(log, "d", 5000);
    CHECK(ctl_logrotate(log, 0, 2) == 0);            /* 0: never */
    CHECK(ctl_logrotate(log, 4096, 0) == 0);
    CHECK(first_byte(log) == 'd');

    unlink(log);
    unlink(p1);
    unlink(p2);
}

/* a section of the compiled doc, or NULL; errors counted in *errors. */
static json_t *
compiled(const char *section, const char *settings, size_t *errors)
{
    char           yaml[1024];
    cfg_result_t   res;
    json_t        *r;

    setenv("OPENAI_API_KEY", "sk-unit-openai-key", 0);
    snprintf(yaml, sizeof(yaml),
             "model_list:\n"
             "  - model_name: m\n"
             "    litellm_params: {model: openai/gpt-4o-mini}\n"
             "general_settings:\n%s", settings);
    memset(&res, 0, sizeof(res));
    cfg_compile_text(yaml, strlen(yaml), "config.yaml", NULL, &res);
    *errors = res.diag.errors;
    r = json_incref(json_object_get(res.doc, section));
    cfg_result_free(&res);
    return r;
}

static json_t *
request_log(const char *settings, size_t *errors)
{
    return compiled("request_log", settings, errors);
}

static long long
field(json_t *r, const char *name)
{
    json_t  *v = json_object_get(r, name);

    return json_is_integer(v) ? json_integer_value(v) : -1;
}

UNIT_TEST(settings_with_units)
{
    size_t   errors;
    json_t  *r;

    r = request_log("  request_log_max_size: 64KB\n"
                    "  request_log_max_files: 3\n", &errors);
    CHECK(errors == 0);
    CHECK(field(r, "max_bytes") == 65536 && field(r, "max_files") == 3);
    json_decref(r);

    r = request_log("  request_log_max_size: 1.5 mb\n", &errors);
    CHECK(errors == 0 && field(r, "max_bytes") == 1572864);
    json_decref(r);

    r = request_log("  request_log_max_size: 2GB\n", &errors);
    CHECK(errors == 0 && field(r, "max_bytes") == 2147483648LL);
    json_decref(r);

    r = request_log("  request_log_max_size: 10000\n", &errors);
    CHECK(errors == 0 && field(r, "max_bytes") == 10000);
    json_decref(r);

    r = request_log("  request_log_max_size: 0\n", &errors);
    CHECK(errors == 0 && field(r, "max_bytes") == 0);
    json_decref(r);

    r = request_log("  request_log_max_size: 10 parsecs\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = request_log("  request_log_max_size: 100\n", &errors);
    CHECK(errors == 1);                      /* below 4KB: a mistake */
    json_decref(r);

    r = request_log("  request_log_max_size: -5MB\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = request_log("  request_log_max_files: 0\n", &errors);
    CHECK(errors == 1);
    json_decref(r);
}

UNIT_TEST(log_payloads)
{
    size_t   errors;
    json_t  *r;

    r = request_log("  request_log_max_files: 3\n", &errors);
    CHECK(errors == 0 && field(r, "payload_bytes") == 0);      /* off */
    json_decref(r);

    r = request_log("  log_payloads: true\n", &errors);
    CHECK(errors == 0 && field(r, "payload_bytes") == 4096);
    CHECK(json_object_get(r, "payloads") == NULL);
    json_decref(r);

    r = request_log("  log_payloads_max_size: 1KB\n"
                    "  log_payloads: true\n", &errors);
    CHECK(errors == 0 && field(r, "payload_bytes") == 1024);
    json_decref(r);

    r = request_log("  log_payloads: false\n"
                    "  log_payloads_max_size: 1KB\n", &errors);
    CHECK(errors == 0 && field(r, "payload_bytes") == 0);
    json_decref(r);

    r = request_log("  log_payloads: true\n"
                    "  log_payloads_max_size: 100\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = request_log("  log_payloads: true\n"
                    "  log_payloads_max_size: 1MB\n", &errors);
    CHECK(errors == 1);
    json_decref(r);
}

UNIT_TEST(responses_settings)
{
    size_t   errors;
    json_t  *r;

    r = compiled("responses", "  responses_ttl: 90\n"
                              "  responses_max_size: 16MB\n"
                              "  responses_max_entry_size: 64KB\n",
                 &errors);
    CHECK(errors == 0);
    CHECK(field(r, "ttl_ms") == 90000);
    CHECK(field(r, "max_bytes") == 16 * 1024 * 1024);
    CHECK(field(r, "max_entry_bytes") == 64 * 1024);
    json_decref(r);

    r = compiled("responses", "  log_payloads: true\n", &errors);
    CHECK(errors == 0 && r == NULL);          /* the module's defaults */
    json_decref(r);

    r = compiled("responses", "  responses_ttl: 0.5\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = compiled("responses", "  responses_max_size: 100\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = compiled("responses", "  responses_max_entry_size: lots\n", &errors);
    CHECK(errors == 1);
    json_decref(r);
}

static void
make_dir(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
}

static void
remove_dir(void)
{
    rmdir(dir);
}

UNIT_MAIN(make_dir, renames_in_order_and_drops_the_oldest,
          settings_with_units, log_payloads, responses_settings, remove_dir)
