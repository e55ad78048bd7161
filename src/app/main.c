#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "repopool/cli.h"
#include "repopool/compare.h"
#include "repopool/run.h"
#include "repopool/usercmds.h"

/*
 * Started with stdin, stdout or stderr closed (`repopool ... >&-`), the
 * first descriptor anything opens would land on 0, 1 or 2: libuv's own
 * (its epoll and signal descriptors) would then be taken for a standard
 * stream, written to, or refused on close (an abort). So each closed one
 * is opened onto /dev/null first, as git does. Read-only for all three: a
 * read of stdin ends at once, and a write to stdout or stderr fails with
 * EBADF, so a closed stdout still counts as output that could not be
 * written (the report says so and the run ends 1), never as output that
 * went somewhere.
 */
static int sanitize_stdfds(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The lower ones are open by now, so it lands on fd. */
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != fd) {
            int dup = dup2(null, fd);
            close(null);
            null = dup;
        }
        if (null < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* Before anything opens a descriptor. */
    if (sanitize_stdfds() < 0) {
        int e = errno;
        fprintf(stderr, "repopool: cannot open /dev/null: %s\n", strerror(e));
        return 1;
    }
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
        if (cfg.compare)
            status = compare_demo(&cfg, stdout);
        else if (usercmds_wanted(&cfg))
            status = usercmds_run(&cfg);
        else
            status = run_repopool(&cfg);
        break;
    }
    config_free(&cfg);
    strbuf_free(&err);
    return status;
}
