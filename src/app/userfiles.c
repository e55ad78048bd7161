#include "repopool/userfiles.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "repopool/xalloc.h"

bool userfiles_path(struct strbuf *out, const char *var, const char *home_dir, const char *name)
{
    const char *base = getenv(var);
    const char *home = getenv("HOME");
    /* The XDG spec: a relative path in the variable is to be ignored. */
    if (base && base[0] == '/')
        strbuf_printf(out, "%s/repopool/%s", base, name);
    else if (home && home[0])
        strbuf_printf(out, "%s/%s/repopool/%s", home, home_dir, name);
    else
        return false;
    return true;
}

void userfiles_make_parents(const char *path)
{
    char *dir = xstrdup(path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0700); /* EEXIST, or the open that follows says why */
        *p = '/';
    }
    free(dir);
}
