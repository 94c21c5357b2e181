/* Dump and replace the whole key table (see keys_restore.c). */

#ifndef KEYS_RESTORE_H
#define KEYS_RESTORE_H

#include <jansson.h>

#include "keys_service.h"

#define KEYS_DUMP_VERSION  1

/* {"version", "store", "keys", "teams", "spend", "days"}; new reference. */
json_t *keys_service_dump(keys_service_t *svc);

/* Make a dump the whole table, in memory and in the store; 0, or -1 with
 * err set (nothing changed). */
int keys_service_replace(keys_service_t *svc, const json_t *state,
    keys_error_t *err);

#endif
