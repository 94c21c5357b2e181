/*
 * controld command line.  Three modes:
 *   controld --config F --admin-socket S --snapshot P ...   the daemon
 *   controld --check --config F [--env E]                  validate only
 *   controld --print --config F [--env E]                  show compiled JSON
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "cfg_content.h"
#include "cfg_resolve.h"
#include "controld.h"
#include "ctl_http.h"
#include "ctl_log.h"

static void
usage(FILE *out)
{
    fprintf(out,
        "usage: controld --config FILE [--env FILE] --admin-socket PATH\n"
        "                --snapshot PATH [--pid-file PATH]\n"
        "                [--resolve-interval SECONDS] [--log-file PATH]\n"
        "                [--mgmt-socket PATH] [--state-file PATH]\n"
        "                [--request-log PATH] [--content-dir DIR]\n"
        "       controld --check [--strict] --config FILE [--env FILE]\n"
        "       controld --print --config FILE [--env FILE]\n"
        "       controld --providers\n"
        "\n"
        "Compiles a LiteLLM-style config.yaml (+ .env) into ngx_llm's\n"
        "canonical JSON, writes it to --snapshot and publishes it to nginx\n"
        "through the admin socket.  SIGHUP reloads, SIGTERM stops.\n"
        "  --mgmt-socket  serve the key management API (/key/*, /team/*,\n"
        "                 /spend/*) on this unix socket (nginx proxies it)\n"
        "  --state-file   keys, teams and spend without Redis (or the local\n"
        "                 cache of Redis); needed to manage virtual keys\n"
        "  --request-log  nginx's request log (llm_json; rotations PATH.1,\n"
        "                 ...), served to the console (/ui/api/request/*)\n"
        "  --content-dir  named configs (DIR/config/NAME/N.yaml, as llmctl\n"
        "                 content keeps them) the console may apply in\n"
        "                 place of --config; the choice outlasts a restart;\n"
        "                 and provider rows (DIR/provider/NAME/N.yaml) the\n"
        "                 config may use (also with --check and --print)\n"
        "  --check   print warnings/errors only; exit 0 if the config is valid\n"
        "  --print   print the compiled JSON with secrets shortened\n"
        "  --strict  a deployment that cannot be served (unknown provider,\n"
        "            missing credentials) is an error, not a warning that\n"
        "            disables it\n"
        "  --providers  print the provider table (docs/providers.md)\n");
}

/* --providers: the provider table as JSON, one row per provider. */
static int
print_providers(void)
{
    char    *text;
    size_t   i;
    json_t  *rows;

    rows = json_array();
    for (i = 0; i < llm_provider_builtin_count(); i++) {
        json_array_append_new(rows,
                              llm_provider_to_json(llm_provider_builtin_at(i)));
    }
    text = json_dumps(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(rows);
    return 0;
}

static void
print_dns_message(const char *message)
{
    fprintf(stderr, "controld: %s\n", message);
}

/* --check and --print: compiler-style messages on stderr, nothing else. */
static int
check_or_print(const controld_options_t *opts, int print)
{
    cfg_result_t        res;
    llm_provider_set_t  providers;
    cfg_options_t       copts = { opts->strict, &providers, NULL };
    cfg_dns_t           dns;
    json_t             *redacted;
    char               *text, err[300];
    int                 rc;

    memset(&providers, 0, sizeof(providers));
    if (opts->content_dir != NULL
        && cfg_content_providers(opts->content_dir, &providers, err,
                                 sizeof(err)) != 0)
    {
        fprintf(stderr, "controld: provider definitions: %s\n", err);
        return 1;
    }
    rc = cfg_compile_file_opts(opts->config, opts->env, &copts, &res);
    cfg_diag_print(&res.diag, stderr);

    if (rc == 0 && print) {
        cfg_dns_init(&dns);
        cfg_dns_resolve(&dns, res.doc, print_dns_message);
        cfg_dns_free(&dns);

        redacted = cfg_redact(res.doc);
        text = cfg_dump(redacted, 1);
        printf("%s\n", text);
        free(text);
        json_decref(redacted);
    }

    cfg_result_free(&res);
    llm_provider_set_free(&providers);
    return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    enum { OPT_CONFIG = 256, OPT_ENV, OPT_SOCKET, OPT_SNAPSHOT, OPT_PID,
           OPT_INTERVAL, OPT_LOG, OPT_CHECK, OPT_PRINT, OPT_HELP,
           OPT_MGMT, OPT_STATE, OPT_STRICT, OPT_PROVIDERS,
           OPT_REQLOG, OPT_CONTENT };
    static const struct option  longopts[] = {
        { "config",           required_argument, NULL, OPT_CONFIG },
        { "env",              required_argument, NULL, OPT_ENV },
        { "admin-socket",     required_argument, NULL, OPT_SOCKET },
        { "snapshot",         required_argument, NULL, OPT_SNAPSHOT },
        { "pid-file",         required_argument, NULL, OPT_PID },
        { "resolve-interval", required_argument, NULL, OPT_INTERVAL },
        { "log-file",         required_argument, NULL, OPT_LOG },
        { "check",            no_argument,       NULL, OPT_CHECK },
        { "print",            no_argument,       NULL, OPT_PRINT },
        { "help",             no_argument,       NULL, OPT_HELP },
        { "mgmt-socket",      required_argument, NULL, OPT_MGMT },
        { "state-file",       required_argument, NULL, OPT_STATE },
        { "strict",           no_argument,       NULL, OPT_STRICT },
        { "providers",        no_argument,       NULL, OPT_PROVIDERS },
        { "request-log",      required_argument, NULL, OPT_REQLOG },
        { "content-dir",      required_argument, NULL, OPT_CONTENT },
        { NULL, 0, NULL, 0 }
    };
    controld_options_t  opts;
    int                 c, check = 0, print = 0;
    char               *end;

    memset(&opts, 0, sizeof(opts));
    opts.resolve_interval = 30;

    /* the environment sets the default, so llmctl need not pass it */
    if (getenv("LLM_RESOLVE_INTERVAL") != NULL) {
        opts.resolve_interval = (int) strtol(getenv("LLM_RESOLVE_INTERVAL"),
                                             &end, 10);
        if (*end != '\0' || opts.resolve_interval < 1) {
            fprintf(stderr, "controld: LLM_RESOLVE_INTERVAL: expected a "
                    "positive number of seconds\n");
            return 1;
        }
    }

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:   opts.config = optarg; break;
        case OPT_ENV:      opts.env = optarg; break;
        case OPT_SOCKET:   opts.admin_socket = optarg; break;
        case OPT_SNAPSHOT: opts.snapshot = optarg; break;
        case OPT_PID:      opts.pid_file = optarg; break;
        case OPT_LOG:      opts.log_file = optarg; break;
        case OPT_MGMT:     opts.mgmt_socket = optarg; break;
        case OPT_STATE:    opts.state_file = optarg; break;
        case OPT_REQLOG:   opts.request_log = optarg; break;
        case OPT_CONTENT:  opts.content_dir = optarg; break;
        case OPT_CHECK:    check = 1; break;
        case OPT_STRICT:   opts.strict = 1; break;
        case OPT_PROVIDERS: return print_providers();
        case OPT_PRINT:    print = 1; break;
        case OPT_INTERVAL:
            opts.resolve_interval = (int) strtol(optarg, &end, 10);
            if (*end != '\0' || opts.resolve_interval < 1) {
                fprintf(stderr, "controld: --resolve-interval wants a "
                        "positive number of seconds\n");
                return 2;
            }
            break;
        case 'h':
        case OPT_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }

    if (optind < argc || opts.config == NULL) {
        usage(stderr);
        return 2;
    }
    if (check || print) {
        return check_or_print(&opts, print);
    }
    if (opts.admin_socket == NULL || opts.snapshot == NULL) {
        fprintf(stderr, "controld: --admin-socket and --snapshot are "
                "required\n");
        return 2;
    }
    if (opts.mgmt_socket != NULL && opts.state_file == NULL) {
        fprintf(stderr, "controld: --mgmt-socket needs --state-file\n");
        return 2;
    }

    if (ctl_log_init("controld", opts.log_file) != 0) {
        fprintf(stderr, "controld: cannot open log file %s\n", opts.log_file);
        return 1;
    }
    ctl_http_global_init();
    return controld_run(&opts);
}
