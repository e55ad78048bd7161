#include "repopool/childproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "repopool/xalloc.h"

extern char **environ;

#define POLL_TICK_MS 100
#define KILL_GRACE_SECONDS 1.0
#define DRAIN_GRACE_SECONDS 0.25

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Variables a child must not inherit: ours, and those that tell git which
 * repository to work on (`git rev-parse --local-env-vars` less the config
 * ones): a repopool started from a hook or with GIT_DIR set would
 * otherwise have every task's git work on that one repository.
 */
static const char *const dropped[] = {
    "GIT_TERMINAL_PROMPT=", "REPOPOOL_REPO=", "GIT_DIR=", "GIT_WORK_TREE=", "GIT_IMPLICIT_WORK_TREE=",
    "GIT_COMMON_DIR=", "GIT_INDEX_FILE=", "GIT_OBJECT_DIRECTORY=", "GIT_ALTERNATE_OBJECT_DIRECTORIES=",
    "GIT_GRAFT_FILE=", "GIT_NO_REPLACE_OBJECTS=", "GIT_REPLACE_REF_BASE=", "GIT_PREFIX=", "GIT_SHALLOW_FILE=",
    "GIT_NAMESPACE=",
};

static bool inherited(const char *var)
{
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        if (strncmp(var, dropped[i], strlen(dropped[i])) == 0)
            return false;
    return true;
}

char **child_environ(size_t spare, size_t *free_slot)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = xcalloc(n + 2 + spare, sizeof(*env));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (inherited(environ[i]))
            env[k++] = environ[i];
    env[k++] = "GIT_TERMINAL_PROMPT=0";
    if (free_slot)
        *free_slot = k;
    return env;
}

int spawn_session(char *const argv[], char *const env[], const char *dir, int in_fd, int out_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* A session of its own: its own process group to signal, and no
     * controlling terminal to prompt on; default signal handling, whatever
     * we ignore or catch. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    if (dir)
        posix_spawn_file_actions_addchdir_np(&fa, dir);
    int rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

void child_run(char *const argv[], const char *dir, char *const extra_env[], const char *input,
               struct outbuf *out, const atomic_bool *cancel, double timeout, struct child_result *res)
{
    *res = (struct child_result){.exit_code = -1};
    int out_pipe[2], in_pipe[2] = {-1, -1};
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        res->spawn_error = errno;
        return;
    }
    if (input && pipe2(in_pipe, O_CLOEXEC) < 0) {
        res->spawn_error = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        return;
    }

    size_t nextra = 0, slot = 0;
    while (extra_env && extra_env[nextra])
        nextra++;
    char **env = child_environ(nextra, &slot);
    for (size_t i = 0; i < nextra; i++)
        env[slot + i] = extra_env[i];
    pid_t pid = -1;
    int rc = spawn_session(argv, env, dir, input ? in_pipe[0] : -1, out_pipe[1], &pid);
    free(env);
    close(out_pipe[1]);
    if (input)
        close(in_pipe[0]);
    if (rc != 0) {
        res->spawn_error = rc;
        close(out_pipe[0]);
        if (input)
            close(in_pipe[1]);
        return;
    }
    if (input) {
        /* Small requests (credential queries) fit in the pipe buffer. */
        size_t len = strlen(input);
        ssize_t put = write(in_pipe[1], input, len);
        (void)put;
        close(in_pipe[1]);
    }

    double started = monotonic_seconds();
    double kill_at = 0, reaped_at = 0;
    bool open = true, reaped = false;
    int status = 0;
    char buf[16384];
    while (open) {
        struct pollfd pfd = {.fd = out_pipe[0], .events = POLLIN};
        int ready = poll(&pfd, 1, POLL_TICK_MS);
        if (ready > 0) {
            ssize_t got = read(out_pipe[0], buf, sizeof(buf));
            if (got > 0)
                outbuf_append(out, buf, (size_t)got);
            else if (got == 0 || (errno != EINTR && errno != EAGAIN))
                open = false;
        }
        double now = monotonic_seconds();
        if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            reaped_at = now;
        }
        /* Something it left behind may hold the pipe: stop listening soon
         * after the child itself is gone. */
        if (reaped && now - reaped_at > DRAIN_GRACE_SECONDS)
            open = false;
        bool out_of_time = timeout > 0 && now - started > timeout;
        if (!res->stopped && ((cancel && atomic_load(cancel)) || out_of_time)) {
            res->stopped = true;
            kill(-pid, SIGTERM);
            kill_at = now + KILL_GRACE_SECONDS;
        } else if (kill_at > 0 && now > kill_at) {
            kill(-pid, SIGKILL);
            kill_at = 0;
        }
    }
    close(out_pipe[0]);

    while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status))
        res->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->term_signal = WTERMSIG(status);
}
