/* maxrss: run a command and write the peak resident set size of its process
 * tree (the largest single process, in KiB) to a file.
 *
 *   maxrss OUTFILE COMMAND [ARG]...
 *
 * The exit status is the command's (128 + signal if it was killed, 127 if it
 * could not be started).
 *
 * Why a C program and not os.wait4() in the Python benchmark driver: Linux
 * stores the RSS high-water mark of the address space a process leaves at
 * execve() in that process's own peak (exec_mmap calls setmax_mm_hiwater_rss).
 * A child forked or vforked by Python leaves Python's address space, so even
 * `true` reports the driver's size (over 200 MB after touching a large
 * buffer, and a fresh Python helper would still add its own ~13 MB floor).
 * Forked from this tiny program, a command starts from about 1 MB, like a
 * command started from a shell. */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: maxrss OUTFILE COMMAND [ARG]...\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("maxrss: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "maxrss: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("maxrss: wait4");
            return 127;
        }
    }
    FILE *out = fopen(argv[1], "w");
    if (!out || fprintf(out, "%ld\n", ru.ru_maxrss) < 0 || fclose(out) != 0) {
        perror("maxrss: writing the result");
        return 127;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
