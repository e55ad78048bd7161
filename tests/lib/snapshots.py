"""Trees as comparable dicts: what a test records before a run and checks
after it."""

import hashlib
import os
import stat


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree_snapshot(root, skip_top=(".git",), skip=None, content=None):
    """{relative path: (kind, mode, content digest)} of everything under
    root. skip_top: names left out at the top level. skip(parts), parts
    the relative path as a list: true leaves the entry out, and all under
    it. content(path, name): the digest of a file, sha256 of its bytes
    unless given. Symlinks are recorded as links, never followed."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        if not parts:
            dirnames[:] = [d for d in dirnames if d not in skip_top]
            filenames = [f for f in filenames if f not in skip_top]
        if skip:
            dirnames[:] = [d for d in dirnames if not skip(parts + [d])]
            filenames = [f for f in filenames if not skip(parts + [f])]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", 0, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            else:
                snap[rel] = ("file", stat.S_IMODE(st.st_mode), content(p, name) if content else digest(p))
    return snap


def _fetch_may_change(parts):
    """Object stores, remote-tracking refs (and their logs), FETCH_HEAD and
    shallow."""
    name = parts[-1]
    return (name in ("objects", "FETCH_HEAD", "shallow", "shallow.lock")
            or parts[-2:] == ["refs", "remotes"])


def _without_remote_refs(path, name):
    if name != "packed-refs":
        return digest(path)
    with open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if b"refs/remotes/" not in l]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def gitdir_snapshot(gitdir):
    """tree_snapshot of everything under a .git directory that a refused
    pull must leave alone: all but what a fetch may change (object stores,
    remote-tracking refs and their logs, FETCH_HEAD and shallow), and
    packed-refs without its refs/remotes lines."""
    if not os.path.isdir(gitdir):
        return {}
    return tree_snapshot(gitdir, skip_top=(), skip=_fetch_may_change, content=_without_remote_refs)
