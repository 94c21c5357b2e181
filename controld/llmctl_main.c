/* llmctl command line: parse flags, fill defaults, dispatch. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_http.h"
#include "llmctl.h"

typedef struct {
    const char  *name;
    int        (*run)(llmctl_options_t *o);
    const char  *usage;
    const char  *help;
} command_t;

static const command_t  commands[] = {
    { "run", llmctl_cmd_run,
      "run --config FILE [--env FILE] [--listen HOST:PORT] [--prefix DIR]\n"
      "           [--workers N] [--ca-file PATH]",
      "Run nginx + controld in the foreground until Ctrl-C (SIGINT/SIGTERM).\n"
      "  --config FILE      LiteLLM-style config.yaml (validated first)\n"
      "  --env FILE         .env file (default: .env next to the config)\n"
      "  --listen HOST:PORT public address (default 127.0.0.1:4000)\n"
      "  --prefix DIR       state, logs and generated nginx.conf\n"
      "                     (default ./.ngx_llm)\n"
      "  --workers N        nginx worker processes (default auto)\n"
      "  --ca-file PATH     CA bundle for provider TLS (default $LLM_CA_FILE\n"
      "                     or /etc/ssl/certs/ca-certificates.crt)\n" },
    { "start", llmctl_cmd_start,
      "start (same flags as run)",
      "Like run, but in the background (log: PREFIX/logs/llmctl.log);\n"
      "returns once GET /health/readiness answers 200 (waits up to 30 s).\n" },
    { "stop", llmctl_cmd_stop,
      "stop [--prefix DIR]",
      "Stop the instance of that prefix gracefully (waits up to 30 s).\n" },
    { "status", llmctl_cmd_status,
      "status [--prefix DIR] [--detailed] [--json]",
      "Show pids, listen address, config generation and counts.\n"
      "--detailed: as status-detailed.  Exit 0 when running, 3 when not.\n" },
    { "status-detailed", llmctl_cmd_status_detailed,
      "status-detailed [--prefix DIR] [--json]",
      "Per deployment: provider, where its key comes from (last 4\n"
      "characters only); controld, key store and Vault health; config\n"
      "file, generation and the last reload's result; listen address.\n"
      "Exit 0 when running and healthy, 1 when something is unhealthy,\n"
      "3 when not running.\n" },
    { "test", llmctl_cmd_test,
      "test [--prefix DIR] [--timeout S] [--json] [--verbose]",
      "Check readiness, controld, the key store and every provider (its\n"
      "models list, with its key); one line each.  Exit 1 if any fails.\n"
      "  --timeout S   per check (default 10)\n" },
    { "run-tests", llmctl_cmd_run_tests,
      "run-tests [--prefix DIR] [--key KEY] [--json] [MODEL]",
      "Smoke suite against the running gateway: OpenAI chat and stream,\n"
      "Anthropic messages, Gemini generateContent, key auth and a virtual\n"
      "key round trip, on MODEL (default: the first model group).\n"
      "Exit 1 if any fails.\n" },
    { "restart", llmctl_cmd_restart,
      "restart [--prefix DIR]",
      "stop, then start with the same config, env and listen address;\n"
      "keys and spend stay (they live in the state file or Redis).\n" },
    { "backup", llmctl_cmd_backup,
      "backup [--prefix DIR] [--out FILE] [--include-secrets]",
      "One tar.gz: config, content store, keys/teams/spend (as of one\n"
      "instant, from the running controld) and, with --include-secrets,\n"
      "the .env file.  Default FILE: ngx_llm-backup-UTC.tar.gz\n" },
    { "restore", llmctl_cmd_restore,
      "restore [--prefix DIR] [--yes] FILE",
      "Put a backup back: keys/teams/spend into the running gateway's\n"
      "store (Redis or the state file), the content store, and the config\n"
      "(reloaded).  A file that is not a backup is refused.\n" },
    { "reset", llmctl_cmd_reset,
      "reset [--prefix DIR] [--purge-data] [--yes]",
      "Switch to the shipped default config, keeping keys, spend and\n"
      "logs (your config file is not touched).  --purge-data also removes\n"
      "keys, teams, spend, logs and the content store (asks unless --yes).\n" },
    { "content", llmctl_cmd_content,
      "content add|list|get|execute|remove --type config|provider\n"
      "           --name N [--file F] [--prefix DIR] [--json]",
      "Named configs (with history) and provider definitions under\n"
      "PREFIX/content.  execute validates a config, then applies it with\n"
      "a reload; list shows which one is active.\n" },
    { "reload", llmctl_cmd_reload,
      "reload [--prefix DIR] [--config FILE] [--env FILE]",
      "Validate the config (default: the one the instance runs with), then\n"
      "publish it and wait for the new generation.  On errors nothing\n"
      "changes and the exit status is 1.\n" },
    { "models", llmctl_cmd_models,
      "models [--prefix DIR] [--json]",
      "List the model names the running gateway serves.\n" },
    { "list-models", llmctl_cmd_models,
      "list-models [--prefix DIR] [--json]",
      "Same as models.\n" },
    { "test-model", llmctl_cmd_test_model,
      "test-model [--prefix DIR] [--key KEY] MODEL",
      "Send a one-message chat completion for MODEL through the gateway and\n"
      "print the answer.  Key: --key, $LITELLM_MASTER_KEY, or the master\n"
      "key of the running config.\n" },
    { "keys", llmctl_cmd_keys,
      "keys [--prefix DIR] [list | generate [flags] | info KEY |\n"
      "           update KEY [flags] | delete KEY | block KEY | unblock KEY]",
      "Virtual keys of the running gateway (controld's management API).\n"
      "KEY is the key (sk-...) or its token (SHA-256 hex).  generate prints\n"
      "the new key once; it is never shown again.  Flags for generate and\n"
      "update:\n"
      "  --alias NAME  --team TEAM_ID  --models a,b  --budget USD\n"
      "  --budget-duration 30d  --duration 90d  --rpm N  --tpm N\n"
      "  --parallel N\n"
      "The master key comes from --key, $LITELLM_MASTER_KEY or the config.\n" },
    { "spend", llmctl_cmd_spend,
      "spend [--prefix DIR] [--days N]",
      "Spend and tokens per key, team, model group, deployment and day\n"
      "(the last N days, default 7).\n" },
    { "logs", llmctl_cmd_logs,
      "logs [--prefix DIR] [N] [--follow] [--model M] [--status 4xx|5xx|CODE]\n"
      "           [--key ALIAS] [--json]",
      "The last N (default 50) lines of the request log that match, oldest\n"
      "first; --follow then prints new ones.  --model matches the requested\n"
      "model or its group, --key a key alias.  --json prints the lines as\n"
      "they are in PREFIX/logs/requests.log.\n" },
    { "stats", llmctl_cmd_stats,
      "stats [--prefix DIR] [--since 15m|1h|24h|7d] [--by model|provider|\n"
      "           deployment|key|team] [--model M] [--status 4xx|CODE]\n"
      "           [--key ALIAS] [--json]",
      "Requests, success rate, p50/p95/p99 latency, TTFT, tokens, cost and\n"
      "top errors over the window (default 1h), in total and by one\n"
      "dimension, from the request log.\n" },
    { "proxy-status", llmctl_cmd_proxy_status,
      "proxy-status [--prefix DIR] [--watch] [--json]",
      "A live view from the gateway's /metrics: requests/s, in flight, the\n"
      "error rate (over one second, up to the last minute with --watch,\n"
      "which redraws every second), deployments cooling down, controld.\n" },
};

#define NCOMMANDS  (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
    size_t  i;

    fprintf(out, "usage: llmctl COMMAND [flags]   (llmctl help COMMAND)\n\n"
                 "ngx_llm operator CLI.  Commands:\n");
    for (i = 0; i < NCOMMANDS; i++) {
        fprintf(out, "  llmctl %s\n", commands[i].usage);
    }
}

static void
command_help(FILE *out, const command_t *c)
{
    fprintf(out, "usage: llmctl %s\n\n%s", c->usage, c->help);
}

static const command_t *
find_command(const char *name)
{
    size_t  i;

    for (i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static void
set(char **field, const char *value)
{
    free(*field);
    *field = strdup(value);
}

static int
parse_flags(const command_t *c, int argc, char **argv, llmctl_options_t *o)
{
    enum { OPT_CONFIG = 256, OPT_ENV, OPT_LISTEN, OPT_PREFIX, OPT_WORKERS,
           OPT_CA, OPT_KEY, OPT_HELP, OPT_JSON, OPT_VERBOSE, OPT_DETAILED,
           OPT_YES, OPT_PURGE, OPT_SECRETS, OPT_TIMEOUT, OPT_OUT, OPT_TYPE,
           OPT_NAME, OPT_FILE };
    static const struct option  longopts[] = {
        { "config",  required_argument, NULL, OPT_CONFIG },
        { "env",     required_argument, NULL, OPT_ENV },
        { "listen",  required_argument, NULL, OPT_LISTEN },
        { "prefix",  required_argument, NULL, OPT_PREFIX },
        { "workers", required_argument, NULL, OPT_WORKERS },
        { "ca-file", required_argument, NULL, OPT_CA },
        { "key",     required_argument, NULL, OPT_KEY },
        { "help",    no_argument,       NULL, OPT_HELP },
        { "json",    no_argument,       NULL, OPT_JSON },
        { "verbose", no_argument,       NULL, OPT_VERBOSE },
        { "detailed", no_argument,      NULL, OPT_DETAILED },
        { "yes",     no_argument,       NULL, OPT_YES },
        { "purge-data", no_argument,    NULL, OPT_PURGE },
        { "include-secrets", no_argument, NULL, OPT_SECRETS },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "out",     required_argument, NULL, OPT_OUT },
        { "type",    required_argument, NULL, OPT_TYPE },
        { "name",    required_argument, NULL, OPT_NAME },
        { "file",    required_argument, NULL, OPT_FILE },
        { NULL, 0, NULL, 0 }
    };
    int  ch, i, want;
    char *end;

    /* keys/spend parse their own words; only the common flags here. */
    if (c->run == llmctl_cmd_keys || c->run == llmctl_cmd_spend
        || c->run == llmctl_cmd_logs || c->run == llmctl_cmd_stats
        || c->run == llmctl_cmd_proxy_status)
    {
        o->args = calloc((size_t) argc + 1, sizeof(char *));
        for (i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                command_help(stdout, c);
                exit(0);
            }
            if (i + 1 < argc && (strcmp(argv[i], "--prefix") == 0
                                 || strcmp(argv[i], "--config") == 0
                                 || strcmp(argv[i], "--env") == 0
                                 || (strcmp(argv[i], "--key") == 0
                                     && c->run != llmctl_cmd_logs
                                     && c->run != llmctl_cmd_stats)))
            {
                set(strcmp(argv[i], "--prefix") == 0 ? &o->prefix
                    : strcmp(argv[i], "--config") == 0 ? &o->config
                    : strcmp(argv[i], "--env") == 0 ? &o->env : &o->key,
                    argv[i + 1]);
                i++;
                continue;
            }
            o->args[o->nargs++] = strdup(argv[i]);
        }
        return 0;
    }

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CONFIG:  set(&o->config, optarg); break;
        case OPT_ENV:     set(&o->env, optarg); break;
        case OPT_LISTEN:  set(&o->listen, optarg); break;
        case OPT_PREFIX:  set(&o->prefix, optarg); break;
        case OPT_WORKERS: set(&o->workers, optarg); break;
        case OPT_CA:      set(&o->ca_file, optarg); break;
        case OPT_KEY:     set(&o->key, optarg); break;
        case OPT_JSON:     o->json = 1; break;
        case OPT_VERBOSE:  o->verbose = 1; break;
        case OPT_DETAILED: o->detailed = 1; break;
        case OPT_YES:      o->yes = 1; break;
        case OPT_PURGE:    o->purge = 1; break;
        case OPT_SECRETS:  o->include_secrets = 1; break;
        case OPT_OUT:      set(&o->out, optarg); break;
        case OPT_TYPE:     set(&o->type, optarg); break;
        case OPT_NAME:     set(&o->name, optarg); break;
        case OPT_FILE:     set(&o->file, optarg); break;
        case OPT_TIMEOUT:
            o->timeout = (int) strtol(optarg, &end, 10);
            if (*end != '\0' || o->timeout < 1 || o->timeout > 3600) {
                fprintf(stderr, "llmctl: --timeout wants seconds (1-3600), "
                        "got '%s'\n", optarg);
                return -1;
            }
            break;
        case 'h':
        case OPT_HELP:
            command_help(stdout, c);
            exit(0);
        default:
            command_help(stderr, c);
            return -1;
        }
    }

    /* positional words: test-model MODEL, restore FILE, content VERB,
     * run-tests [MODEL] */
    want = strcmp(c->name, "test-model") == 0
           || strcmp(c->name, "restore") == 0
           || strcmp(c->name, "content") == 0 ? 1 : 0;
    if (strcmp(c->name, "run-tests") == 0 && optind == argc - 1) {
        want = 1;
    }
    if (want) {
        if (optind != argc - 1) {
            command_help(stderr, c);
            return -1;
        }
        o->model = strdup(argv[optind]);
    } else if (optind != argc) {
        fprintf(stderr, "llmctl: unexpected argument '%s'\n", argv[optind]);
        command_help(stderr, c);
        return -1;
    }
    return 0;
}

/* Absolute paths: the supervisor and controld may run from another cwd. */
static int
fill_defaults(const command_t *c, llmctl_options_t *o)
{
    const char  *ca = getenv("LLM_CA_FILE");
    char        *abs;
    int          starting = c->run == llmctl_cmd_run
                            || c->run == llmctl_cmd_start;

    if (starting && o->config == NULL) {
        fprintf(stderr, "llmctl %s: --config FILE is required\n", c->name);
        return -1;
    }
    if (starting && o->listen == NULL) {
        o->listen = strdup("127.0.0.1:4000");
    }
    if (o->listen != NULL && strchr(o->listen, ':') == NULL) {
        abs = malloc(strlen(o->listen) + sizeof("127.0.0.1:"));
        sprintf(abs, "127.0.0.1:%s", o->listen);
        free(o->listen);
        o->listen = abs;
    }
    if (o->workers == NULL) {
        o->workers = strdup("auto");
    }
    if (o->ca_file == NULL) {
        o->ca_file = strdup(ca && ca[0] ? ca
                                        : "/etc/ssl/certs/ca-certificates.crt");
    }

    abs = llmctl_absolute(o->prefix ? o->prefix : "./.ngx_llm");
    free(o->prefix);
    o->prefix = abs;
    if (o->config != NULL) {
        abs = llmctl_absolute(o->config);
        free(o->config);
        o->config = abs;
    }
    if (o->env != NULL) {
        abs = llmctl_absolute(o->env);
        free(o->env);
        o->env = abs;
    }
    return 0;
}

static void
free_options(llmctl_options_t *o)
{
    free(o->config);
    free(o->env);
    free(o->listen);
    free(o->prefix);
    free(o->workers);
    free(o->ca_file);
    if (o->key != NULL) {
        memset(o->key, 0, strlen(o->key));
    }
    free(o->key);
    free(o->model);
    free(o->out);
    free(o->type);
    free(o->name);
    free(o->file);
    while (o->nargs > 0) {
        free(o->args[--o->nargs]);
    }
    free(o->args);
}

int
main(int argc, char **argv)
{
    const command_t   *c;
    llmctl_options_t   o;
    int                rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0)
    {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        c = argc > 2 ? find_command(argv[2]) : NULL;
        if (c == NULL) {
            usage(stdout);
        } else {
            command_help(stdout, c);
        }
        return 0;
    }

    c = find_command(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "llmctl: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }

    memset(&o, 0, sizeof(o));
    if (parse_flags(c, argc - 1, argv + 1, &o) != 0
        || fill_defaults(c, &o) != 0)
    {
        free_options(&o);
        return 2;
    }

    ctl_http_global_init();
    rc = c->run(&o);
    free_options(&o);
    return rc;
}
