"""Processes, read from /proc: groups, markers, working directories, memory."""

import os
import signal
import time

from .config import GONE_TIMEOUT


def stat_fields(pid):
    """Fields after the command name of /proc/PID/stat (state first), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rfind(b")") + 2:].split()


def _live(fields):
    return fields is not None and fields[0] not in (b"Z", b"X")


def is_alive(pid):
    """True while pid exists and is not a zombie."""
    return _live(stat_fields(pid))


def ppid_of(pid):
    f = stat_fields(pid)
    return int(f[1]) if f else None


def pgid_of(pid):
    f = stat_fields(pid)
    return int(f[2]) if f else None


def comm_of(pid):
    """The command name of pid (None for None, or a pid that is gone)."""
    if pid is None:
        return None
    try:
        with open("/proc/%d/comm" % pid, "rb") as f:
            return f.read().strip().decode("utf-8", "replace")
    except OSError:
        return None


def _pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def group_members(pgid):
    """Live (not zombie) pids of process group pgid."""
    found = []
    for pid in _pids():
        f = stat_fields(pid)
        if _live(f) and len(f) > 2 and int(f[2]) == pgid:
            found.append(pid)
    return found


def wait_group_gone(pgid, limit=GONE_TIMEOUT):
    """Polls until group pgid has no live member; returns the members left
    when the limit (an anti-hang guard) ran out, else []."""
    deadline = time.monotonic() + limit
    while True:
        left = group_members(pgid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def wait_groups_gone(pgids, limit=GONE_TIMEOUT):
    """wait_group_gone for several groups under one deadline; returns
    {pgid: members left} of the groups that outlived it."""
    deadline = time.monotonic() + limit
    while True:
        left = {g: m for g, m in ((g, group_members(g)) for g in pgids) if m}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_group(pgid):
    """SIGKILL to group pgid if anything in it lives."""
    if group_members(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def kill_leader(proc, timeout=GONE_TIMEOUT):
    """SIGKILL to the process group a subprocess.Popen leads (started with
    start_new_session), and waits for it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=timeout)


def processes_with(marker, with_state=False):
    """(pid, comm) of every live process whose environment holds marker
    (a whole KEY=VALUE entry); (pid, comm, state) with_state."""
    needle = marker.encode()
    found = []
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read()
            with open("/proc/%d/stat" % pid, "rb") as f:
                st = f.read()
        except OSError:
            continue
        if needle not in env.split(b"\0"):
            continue
        close = st.rindex(b")")
        state = st[close + 2:close + 3]
        if state in (b"Z", b"X"):
            continue
        entry = (pid, st[st.index(b"(") + 1:close].decode("utf-8", "replace"))
        found.append(entry + (state.decode(),) if with_state else entry)
    return found


def procs_with_cwd_under(root):
    """Pids of live processes whose working directory is inside root."""
    found = []
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except OSError:
            continue
        if (cwd == root or cwd.startswith(root + "/")) and is_alive(pid):
            found.append(pid)
    return found


def vm_hwm_kib(pid):
    """The RSS high-water mark of a live process, in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def reap(p, timeout=60):
    """Ends a subprocess.Popen the test started (SIGKILL if it still runs)
    and closes its pipes."""
    if p.poll() is None:
        p.kill()
        p.wait(timeout=timeout)
    for f in (p.stdin, p.stdout, p.stderr):
        if f is not None and not f.closed:
            f.close()
