/*
 * Stored responses in controld's state file (store_resp_file.c): an
 * entry is found only under the key that made it, survives a restart of
 * controld (the file, 0600), expires with its TTL, and the total stays
 * under max_bytes by dropping the ones that expire first.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_resp.h"
#include "unit.h"

static char  dir[] = "/tmp/test_cfg_resp_store.XXXXXX";
static char  path[256];

#define OWNER_A  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OWNER_B  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int
has(resp_store_t *s, const char *owner, const char *id, const char *want)
{
    char    *entry = NULL;
    size_t   len = 0;
    int      rc = s->get(s, owner, id, &entry, &len);

    if (rc == 1 && want != NULL
        && (len != strlen(want) || strcmp(entry, want) != 0))
    {
        rc = -2;
    }
    free(entry);
    return rc;
}

UNIT_TEST(test_owner_restart_delete)
{
    resp_store_t  *s;
    struct stat    sb;

    s = resp_store_file_create(path);
    CHECK(s->put(s, OWNER_A, "resp_1", "{\"input\":[]}", 12, 60000,
                 1 << 20) == 0);
    CHECK(has(s, OWNER_A, "resp_1", "{\"input\":[]}") == 1);
    CHECK(has(s, OWNER_B, "resp_1", NULL) == 0);        /* another key */
    CHECK(s->del(s, OWNER_B, "resp_1") == 0);
    CHECK(s->deleted_since(s, &(double) { 0 }) == NULL);  /* one node */
    CHECK(s->commit(s) == 0);
    s->destroy(s);

    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    /* controld restarted: read back from the file */
    s = resp_store_file_create(path);
    CHECK(has(s, OWNER_A, "resp_1", "{\"input\":[]}") == 1);
    CHECK(s->del(s, OWNER_A, "resp_1") == 1);
    CHECK(s->del(s, OWNER_A, "resp_1") == 0);
    CHECK(has(s, OWNER_A, "resp_1", NULL) == 0);
    CHECK(s->commit(s) == 0);
    s->destroy(s);

    s = resp_store_file_create(path);
    CHECK(has(s, OWNER_A, "resp_1", NULL) == 0);        /* the delete too */
    s->destroy(s);
}

UNIT_TEST(test_ttl_and_bound)
{
    resp_store_t  *s;
    char           entry[200];

    unlink(path);
    s = resp_store_file_create(path);

    /* an expired one is not found, and is not written */
    CHECK(s->put(s, OWNER_A, "resp_gone", "{}", 2, 1, 1 << 20) == 0);
    usleep(5000);
    CHECK(has(s, OWNER_A, "resp_gone", NULL) == 0);

    /* 100-byte entries (+ 6-byte ids) under 350 bytes: three fit; the
       ones that expire first go */
    memset(entry, 'x', 100);
    entry[100] = '\0';
    CHECK(s->put(s, OWNER_A, "resp_1", entry, 100, 10000, 350) == 0);
    CHECK(s->put(s, OWNER_A, "resp_2", entry, 100, 20000, 350) == 0);
    CHECK(s->put(s, OWNER_B, "resp_3", entry, 100, 30000, 350) == 0);
    CHECK(has(s, OWNER_A, "resp_1", entry) == 1);
    CHECK(s->put(s, OWNER_A, "resp_4", entry, 100, 40000, 350) == 0);
    CHECK(has(s, OWNER_A, "resp_1", NULL) == 0);
    CHECK(has(s, OWNER_A, "resp_2", entry) == 1);
    CHECK(has(s, OWNER_B, "resp_3", entry) == 1);
    CHECK(has(s, OWNER_A, "resp_4", entry) == 1);

    /* putting one again replaces it, not counted twice */
    CHECK(s->put(s, OWNER_A, "resp_4", entry, 100, 50000, 350) == 0);
    CHECK(has(s, OWNER_A, "resp_2", entry) == 1);
    CHECK(s->commit(s) == 0);
    s->destroy(s);

    s = resp_store_file_create(path);
    CHECK(has(s, OWNER_A, "resp_gone", NULL) == 0);
    CHECK(has(s, OWNER_A, "resp_2", entry) == 1);
    CHECK(has(s, OWNER_A, "resp_4", entry) == 1);
    s->destroy(s);
}

UNIT_TEST(setup)
{
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/responses.json", dir);
}

UNIT_TEST(cleanup)
{
    unlink(path);
    CHECK(rmdir(dir) == 0);
}

UNIT_MAIN(setup, test_owner_restart_delete, test_ttl_and_bound, cleanup)
