"""`git status --porcelain=v2 --branch` read into the shape of the JSON
"git" object of a status end event, to compare the two."""

GIT_KEYS = {"branch", "upstream", "ahead", "behind", "staged", "modified", "untracked",
            "conflicted", "state", "detached", "unborn", "head"}


def parse_porcelain_v2(text):
    """What `git status --porcelain=v2 --branch` says, in the JSON "git" shape
    (without state, which the porcelain does not give)."""
    g = {"branch": None, "upstream": None, "ahead": 0, "behind": 0, "staged": 0,
         "modified": 0, "untracked": 0, "conflicted": 0, "detached": False,
         "unborn": False, "head": None}
    gone = False
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            v = line[len("# branch.oid "):]
            if v == "(initial)":
                g["unborn"] = True
            else:
                g["head"] = v
        elif line.startswith("# branch.head "):
            v = line[len("# branch.head "):]
            if v == "(detached)":
                g["detached"] = True
            else:
                g["branch"] = v
        elif line.startswith("# branch.upstream "):
            g["upstream"] = line[len("# branch.upstream "):]
            gone = True
        elif line.startswith("# branch.ab "):
            a, b = line[len("# branch.ab "):].split()
            g["ahead"], g["behind"] = int(a), -int(b)
            gone = False
        elif line.startswith("#"):
            continue
        elif line[:2] in ("1 ", "2 "):
            xy = line[2:4]
            if xy[0] != ".":
                g["staged"] += 1
            if xy[1] != ".":
                g["modified"] += 1
        elif line.startswith("u "):
            g["conflicted"] += 1
        elif line.startswith("? "):
            g["untracked"] += 1
        elif line.startswith("! "):
            pass
        else:
            raise AssertionError("unexpected porcelain line: %r" % line)
    g["_gone"] = gone
    return g
