"""What is under test and where, and the limits every suite shares."""

import os
import shutil

LIB_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(LIB_DIR)
SOURCE_DIR = os.path.dirname(TESTS_DIR)


def _repopool():
    """The binary named by the REPOPOOL environment variable (a path, or a
    name looked up on PATH), else repopool on PATH."""
    given = os.environ.get("REPOPOOL")
    if given:
        return os.path.abspath(given) if os.sep in given else (shutil.which(given) or given)
    return shutil.which("repopool") or "repopool"


REPOPOOL = _repopool()

# Generous limits that only guard against hanging.
RUN_TIMEOUT = 300
GIT_TIMEOUT = 300
EVENT_TIMEOUT = 120
GONE_TIMEOUT = 30

STATUSES = {"ok", "failed", "skipped", "cancelled"}
TRANSIENT = {"network", "refused", "timeout"}


def built_with(*symbols):
    """True when the binary holds one of symbols (b"__asan_init": an ASan
    build, whose RSS means nothing and which valgrind cannot run)."""
    try:
        with open(REPOPOOL, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return any(s in data for s in symbols)
