/*
 * The floor for spawning: a bare posix_spawn loop. Runs `true` in each
 * directory listed in a file (one per line), at most JOBS at once, and
 * reaps with wait(): no pipes, no event loop, no bookkeeping. repopool's
 * own spawning is measured against it (tests/bench/run, scenario b).
 *
 * usage: spawnloop JOBS LIST
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: spawnloop JOBS LIST\n");
        return 2;
    }
    int jobs = atoi(argv[1]), running = 0, status = 0;
    FILE *list = fopen(argv[2], "r");
    if (jobs < 1 || !list) {
        perror(argv[2]);
        return 2;
    }
    char dir[4096];
    char *args[] = {"true", NULL};
    while (fgets(dir, sizeof(dir), list)) {
        dir[strcspn(dir, "\n")] = '\0';
        int ws;
        if (running == jobs && wait(&ws) > 0) {
            running--;
            status |= ws != 0;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addchdir_np(&fa, dir);
        pid_t pid;
        if (posix_spawnp(&pid, "true", &fa, NULL, args, environ) == 0)
            running++;
        else
            status = 1;
        posix_spawn_file_actions_destroy(&fa);
    }
    for (int ws; running > 0 && wait(&ws) > 0; running--)
        status |= ws != 0;
    fclose(list);
    return status;
}
