#include "repopool/indexfacts.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/strbuf.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Steps over the entries of an index of version 2, 3 or 4 (SHA-1 names) from
 * p; returns where the extensions start, or NULL when they do not fit in
 * [p, end). An entry is 62 bytes of stat data, name and flags, 2 more with
 * the extended flags (version 3 and up), then the path: NUL-padded to a
 * multiple of 8 bytes in all, or in version 4 a prefix length (a varint)
 * and the rest of the path up to a NUL. */
static const unsigned char *skip_entries(const unsigned char *p, const unsigned char *end, uint32_t version,
                                         uint32_t count, bool *gitlinks)
{
    for (uint32_t i = 0; i < count; i++) {
        if (end - p < 62)
            return NULL;
        if ((be32(p + 24) & 0170000) == 0160000)
            *gitlinks = true;
        size_t fixed = 62 + ((p[60] & 0x40) ? 2 : 0);
        if ((size_t)(end - p) <= fixed)
            return NULL;
        const unsigned char *path = p + fixed;
        if (version == 4) {
            while (path < end && (*path & 0x80))
                path++;
            path++; /* the varint's last byte */
        }
        const unsigned char *nul = path < end ? memchr(path, 0, (size_t)(end - path)) : NULL;
        if (!nul)
            return NULL;
        p = version == 4 ? nul + 1 : p + ((fixed + (size_t)(nul - (p + fixed)) + 8) & ~(size_t)7);
        if (p > end)
            return NULL;
    }
    return p;
}

static int read_extensions(const unsigned char *p, const unsigned char *end, struct index_facts *f)
{
    while (end - p >= 8) {
        uint32_t size = be32(p + 4);
        if (memcmp(p, "FSMN", 4) == 0)
            f->fsmonitor = true;
        else if (memcmp(p, "link", 4) == 0)
            f->split = true;
        if (p[0] >= 'a' && p[0] <= 'z' && !f->mandatory[0])
            memcpy(f->mandatory, p, 4);
        if ((size_t)(end - p) - 8 < size)
            return -1;
        p += 8 + size;
    }
    return p == end ? 0 : -1;
}

int index_facts_read(const char *gitdir, struct index_facts *f)
{
    memset(f, 0, sizeof(*f));
    struct strbuf path;
    strbuf_init(&path);
    strbuf_printf(&path, "%sindex", gitdir);
    int fd = open(path.data, O_RDONLY | O_CLOEXEC);
    strbuf_free(&path);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    const size_t trailer = 20; /* the SHA-1 of all before it */
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= 12 + trailer)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -1;
    const unsigned char *start = map, *end = start + st.st_size - trailer;
    uint32_t version = be32(start + 4);
    int rc = -1;
    if (memcmp(start, "DIRC", 4) == 0 && version >= 2 && version <= 4) {
        f->entries = be32(start + 8);
        const unsigned char *ext = skip_entries(start + 12, end, version, f->entries, &f->gitlinks);
        rc = ext ? read_extensions(ext, end, f) : -1;
    }
    munmap(map, (size_t)st.st_size);
    return rc;
}

