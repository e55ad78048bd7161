#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "repopool/cli.h"
#include "repopool/run.h"

int main(int argc, char **argv)
{
    /* The user's character set for the terminal, but C number formatting:
     * JSON and option values always use a decimal point. */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    /* A reader that goes away must not kill us before we stop our tasks:
     * the write fails instead, and the runner stops the run. Children get
     * the default back when they are spawned. */
    signal(SIGPIPE, SIG_IGN);
    struct config cfg;
    struct strbuf err;
    strbuf_init(&err);
    int status;
    switch (cli_parse(argc, argv, &cfg, &err)) {
    case CLI_EXIT_OK:
        if (cfg.help)
            cli_print_help(stdout);
        else
            printf("repopool %s\n", REPOPOOL_VERSION);
        status = 0;
        break;
    case CLI_USAGE:
        fprintf(stderr, "%s\n", err.data);
        status = 2;
        break;
    default:
        status = run(&cfg);
        break;
    }
    config_free(&cfg);
    strbuf_free(&err);
    return status;
}
