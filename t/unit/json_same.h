/*
 * Comparing jansson trees exactly, for the tests and the fuzzer that hold
 * llm_json_load()/llm_json_dump() to jansson's own results.
 */

#ifndef JSON_SAME_H
#define JSON_SAME_H

#include <string.h>

#include <jansson.h>

#include "llm_buf.h"


/* same type, same members in the same order, same bytes, same real bits */

static int
json_same(const json_t *a, const json_t *b)
{
    double       x, y;
    size_t       i;
    void        *ia, *ib;

    if (json_typeof(a) != json_typeof(b)) {
        return 0;
    }

    switch (json_typeof(a)) {

    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b)) {
            return 0;
        }
        ia = json_object_iter((json_t *) a);
        ib = json_object_iter((json_t *) b);
        while (ia && ib) {
            if (json_object_iter_key_len(ia) != json_object_iter_key_len(ib)
                || memcmp(json_object_iter_key(ia), json_object_iter_key(ib),
                          json_object_iter_key_len(ia)) != 0
                || !json_same(json_object_iter_value(ia),
                            json_object_iter_value(ib)))
            {
                return 0;
            }
            ia = json_object_iter_next((json_t *) a, ia);
            ib = json_object_iter_next((json_t *) b, ib);
        }
        return ia == NULL && ib == NULL;

    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return 0;
        }
        for (i = 0; i < json_array_size(a); i++) {
            if (!json_same(json_array_get(a, i), json_array_get(b, i))) {
                return 0;
            }
        }
        return 1;

    case JSON_STRING:
        return json_string_length(a) == json_string_length(b)
               && memcmp(json_string_value(a), json_string_value(b),
                         json_string_length(a)) == 0
               && json_string_value(a)[json_string_length(a)] == '\0'
               && json_string_value(b)[json_string_length(b)] == '\0';

    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);

    case JSON_REAL:
        x = json_real_value(a);
        y = json_real_value(b);
        return memcmp(&x, &y, sizeof(double)) == 0;

    default:
        return 1;
    }
}


static int
json_collect(const char *data, size_t len, void *b)
{
    return llm_buf_append(b, data, len);
}


#endif /* JSON_SAME_H */
