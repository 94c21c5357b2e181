/* api_base parsing: http(s)://host[:port][/path], nothing else. */

#ifndef CFG_URL_H
#define CFG_URL_H

typedef struct {
    char  scheme[8];        /* "http" or "https" */
    char  host[256];        /* as written; IPv6 literals keep their [] */
    int   port;             /* explicit or the scheme's default */
    char  path[1024];       /* "" or "/x/y" without a trailing slash */
} cfg_url_t;

/* Returns 0, or -1 with *why describing what is wrong. */
int cfg_url_parse(const char *text, cfg_url_t *url, const char **why);

#endif
