"""git's index file read as data: what a status run may change in it (the
stat data of entries, the untracked cache) apart from what it must not
(entries, their names and flags, the other extensions).

Versions 2, 3 and 4 with SHA-1 names, as git writes them
(Documentation/gitformat-index.txt).
"""

import hashlib
import struct
from dataclasses import dataclass, field

# Extensions whose bytes are stat data themselves: the untracked cache
# records directories' stat data and is refreshed with them.
STAT_EXTENSIONS = {b"UNTR"}


@dataclass
class Index:
    version: int
    entries: list = field(default_factory=list)   # (mode, oid, flags, extended flags, path)
    stat: list = field(default_factory=list)      # (ctime, mtime, dev, ino, uid, gid, size) per entry
    extensions: dict = field(default_factory=dict)  # signature -> bytes

    def without_stat_data(self):
        """What must stay the same when only stat data is refreshed."""
        return (self.version, self.entries,
                {k: v for k, v in self.extensions.items() if k not in STAT_EXTENSIONS})


def _varint(data, pos):
    """git's offset varint (varint.c); returns (value, next position)."""
    c = data[pos]
    value = c & 0x7F
    pos += 1
    while c & 0x80:
        c = data[pos]
        value = ((value + 1) << 7) | (c & 0x7F)
        pos += 1
    return value, pos


def read_index(path):
    """The Index of the file at path; raises ValueError when it is not one
    (or its checksum is wrong)."""
    with open(path, "rb") as f:
        data = f.read()
    body, trailer = data[:-20], data[-20:]
    if hashlib.sha1(body).digest() != trailer:
        raise ValueError("%s: checksum mismatch" % path)
    signature, version, count = struct.unpack(">4sII", body[:12])
    if signature != b"DIRC" or version not in (2, 3, 4):
        raise ValueError("%s: not an index of version 2, 3 or 4" % path)
    index = Index(version)
    pos, previous = 12, b""
    for _ in range(count):
        ctime_s, ctime_ns, mtime_s, mtime_ns, dev, ino, mode, uid, gid, size = \
            struct.unpack(">10I", body[pos:pos + 40])
        oid = body[pos + 40:pos + 60].hex()
        flags, = struct.unpack(">H", body[pos + 60:pos + 62])
        fixed = 62
        extended = 0
        if flags & 0x4000:
            extended, = struct.unpack(">H", body[pos + 62:pos + 64])
            fixed = 64
        if version == 4:
            strip, name_at = _varint(body, pos + fixed)
            end = body.index(b"\0", name_at)
            name = previous[:len(previous) - strip] + body[name_at:end]
            pos = end + 1
        else:
            end = body.index(b"\0", pos + fixed)
            name = body[pos + fixed:end]
            pos += (fixed + len(name) + 8) & ~7
        previous = name
        # The name length in flags is part of the entry; the rest is stat data.
        index.entries.append((mode, oid, flags, extended, name.decode("utf-8", "surrogateescape")))
        index.stat.append(((ctime_s, ctime_ns), (mtime_s, mtime_ns), dev, ino, uid, gid, size))
    while pos + 8 <= len(body):
        sig, size = struct.unpack(">4sI", body[pos:pos + 8])
        index.extensions[sig] = body[pos + 8:pos + 8 + size]
        pos += 8 + size
    if pos != len(body):
        raise ValueError("%s: extensions do not fill the file" % path)
    return index
