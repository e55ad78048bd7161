"""`repopool --git pull` side by side with `git pull --ff-only`: what the
pull-parity tests (tests/git/test_pull_parity_*.py) share.

The promise: a pull ends EXACTLY as `git pull --ff-only` would, or it
refuses (end status "skipped", or "failed" with a class that is not
transient) with the repository byte-for-byte as it was. Never a third
outcome.

Each test builds an upstream bare repository and a clone, puts the clone
into one state (the setup), and makes two identical copies of it. In copy A
runs `git pull --ff-only`, in copy B `repopool --git pull`. Then:

- repopool ended "ok": git must have succeeded too, and A and B must agree
  on HEAD, every branch, the worktree (bytes and modes), the index (as
  `git ls-files --stage`, `-v` and `--sparse` show it), `git status
  --porcelain=v2 --branch --untracked-files=all --ignored` and the hooks
  that ran.
- repopool did not end ok: its class is not transient, and copy B is as it
  was before the run: worktree (untracked and ignored files included), every
  file under .git except objects, remote-tracking refs, FETCH_HEAD and
  shallow (that is the fetch), and no hook ran. Where git failed too and
  repopool says "failed", B may instead end exactly as git left A; a
  "skipped" always means untouched, as the README promises.

Where git pulled and repopool refused, the test passes (repopool refuses
dirty worktrees git would carry along) and the difference is listed in a
summary printed at the end of the run.
"""

import atexit
import difflib
import os
import shutil
import subprocess
import sys

from .base import TestCase
from .config import GIT_TIMEOUT, TRANSIENT
from .snapshots import gitdir_snapshot, tree_snapshot

BASE = {"README": "v1\n", "keep.txt": "keep\n", "conflict.txt": "base\n",
        "lib/util.c": "int util;\n", ".gitignore": "*.log\nbuild/\n"}

# Hooks installed where a setup asks for hooks: each appends one line to the
# log outside the repository. stdin is drained so git never gets EPIPE.
HOOK = """#!/bin/sh
cat >/dev/null 2>&1
printf '%%s %%s\\n' '%s' "$*" >> '%s'
exit 0
"""

# Every hook git may run around a fetch, a status or a checkout.
ALL_HOOKS = ("post-merge", "post-checkout", "post-rewrite", "reference-transaction",
             "post-index-change", "pre-auto-gc", "pre-merge-commit", "pre-rebase",
             "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "pre-push",
             "fsmonitor-watchman", "push-to-checkout", "sendemail-validate")

LONG_BRANCH = "a" * 200 + "/" + "b" * 200 + "/" + "c" * 198   # 600 bytes

SUMMARY = []   # one row per compared setup, printed when the run ends


class Link(str):
    """A symlink's target, as a value in a files dict."""


def _print_summary():
    if not SUMMARY:
        return
    out = sys.stderr
    out.write("\n=== pull parity: git pull --ff-only vs repopool --git pull ===\n")
    w = max(len(r["name"]) for r in SUMMARY)
    for r in SUMMARY:
        out.write("%-*s  git=%-4s repopool=%-18s %s\n" % (
            w, r["name"], r["git"], r["repopool"], r["verdict"]))
    differ = [r for r in SUMMARY if r["verdict"].startswith("git pulled")]
    out.write("\ngit pulled where repopool refused (%d):\n" % len(differ))
    for r in differ:
        out.write("  %s: %s\n" % (r["name"], r["summary"]))
    bad = [r for r in SUMMARY if r["verdict"].startswith("FAIL")]
    out.write("parity failures (%d): %s\n" % (len(bad), ", ".join(r["name"] for r in bad) or "none"))


atexit.register(_print_summary)


def dict_diff(before, after, label_a="before", label_b="after", limit=40):
    """Lines naming the keys that differ between two dicts."""
    lines = []
    for k in sorted(set(before) | set(after), key=repr):
        a, b = before.get(k, "<absent>"), after.get(k, "<absent>")
        if a != b:
            lines.append("  %r: %s=%r %s=%r" % (k, label_a, a, label_b, b))
    if len(lines) > limit:
        lines = lines[:limit] + ["  ... %d more" % (len(lines) - limit)]
    return lines


def text_diff(a, b, label_a, label_b, limit=60):
    a_lines = a.split("\0") if "\0" in a or "\0" in b else a.splitlines()
    b_lines = b.split("\0") if "\0" in a or "\0" in b else b.splitlines()
    d = list(difflib.unified_diff([repr(x) for x in a_lines], [repr(x) for x in b_lines],
                                  label_a, label_b, lineterm="", n=1))
    if len(d) > limit:
        d = d[:limit] + ["... %d more lines" % (len(d) - limit)]
    return ["    " + l for l in d]


class Outcome:
    """What one compare() saw, for setup-specific checks afterwards."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class PullParityTestCase(TestCase):
    """The building blocks of a setup and compare(); the tests are in
    tests/git/test_pull_parity_*.py."""

    # A clean and smudge filter that changes the worktree's bytes.
    UPPER = ("-c", "filter.upper.smudge=tr a-z A-Z", "-c", "filter.upper.clean=tr A-Z a-z")
    # A tree for sparse checkouts, and an upstream commit changing it.
    SPARSE = dict(BASE, **{"dir1/a.txt": "a1\n", "dir1/sub/b.txt": "b1\n", "dir2/c.txt": "c1\n"})
    SPARSE_UP = {"dir1/a.txt": "a2\n", "dir1/new.txt": "n\n", "dir2/c.txt": "c2\n",
                 "dir2/new.txt": "n\n", "README": "v2\n"}

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.home, ".gitconfig"), "a") as f:
            f.write("[protocol \"file\"]\n\tallow = always\n")
        self.srv = self.init(self.path("srv", "origin.git"), bare=True)
        self.pusher = self.path("pusher")
        self.hooklog = self.path("hooks.log")
        self.fsmonitor_log = self.path("fsmonitor.log")

    # --- building blocks ---

    def put(self, root, files):
        """Writes files into root: {path: text|bytes|(content, mode)|Link|None}."""
        for rel, v in files.items():
            p = os.path.join(root, rel)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            elif os.path.lexists(p):
                os.unlink(p)
            if v is None:
                continue
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if isinstance(v, Link):
                os.symlink(str(v), p)
            elif isinstance(v, tuple):
                self.write(p, v[0], mode=v[1])
            else:
                self.write(p, v)

    def start(self, files=None, branch="main", init_args=()):
        """The upstream's first commit, pushed from the pusher clone."""
        self.git("init", "-q", "-b", branch, *init_args, self.pusher)
        self.put(self.pusher, dict(BASE if files is None else files))
        self.git("add", "-A", "-f", cwd=self.pusher)
        self.git("commit", "-q", "-m", "initial", cwd=self.pusher)
        self.git("remote", "add", "origin", self.srv, cwd=self.pusher)
        self.git("push", "-q", "-u", "origin", branch, cwd=self.pusher)
        return self.rev(self.pusher, "HEAD")

    def up(self, files=None, branch=None, msg=None):
        """One more upstream commit (on branch, else the pusher's current one)."""
        if branch is not None:
            self.git("checkout", "-q", branch, cwd=self.pusher)
        self.put(self.pusher, files or {})
        self.git("add", "-A", "-f", cwd=self.pusher)
        self.git("commit", "-q", "--allow-empty", "-m", msg or self.unique("upstream"), cwd=self.pusher)
        cur = self.git("symbolic-ref", "--short", "HEAD", cwd=self.pusher).strip()
        self.git("push", "-q", "origin", "HEAD:refs/heads/" + cur, cwd=self.pusher)
        return self.rev(self.pusher, "HEAD")

    def work(self, *clone_args, src=None):
        """The clone every setup starts from (absolute-path remote, so copies
        of it fetch from the same place)."""
        p = self.path("base", "repo")
        self.git("clone", "-q", *clone_args, src or self.srv, p)
        return p

    def local_commit(self, repo, files, msg=None):
        self.put(repo, files)
        self.git("add", "-A", cwd=repo)
        self.git("commit", "-q", "--no-verify", "-m", msg or self.unique("local"), cwd=repo)
        return self.rev(repo, "HEAD")

    def install_hooks(self, repo=None, names=("post-merge", "post-checkout"), hookdir=None):
        d = hookdir or os.path.join(repo, ".git", "hooks")
        os.makedirs(d, exist_ok=True)
        for n in names:
            self.write(os.path.join(d, n), HOOK % (n, self.hooklog), mode=0o755)

    def log_lines(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []

    def run_git(self, repo, *args):
        p = subprocess.run(["git", "--no-optional-locks"] + list(args), cwd=repo, env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        out = p.stdout.decode("utf-8", "surrogateescape")
        if p.returncode != 0:
            out += "\n[exit %d] %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip())
        return out

    def view(self, repo):
        """What must agree between git's copy and repopool's after a pull."""
        g = lambda *a: self.run_git(repo, *a)  # noqa: E731
        return {
            "HEAD symbolic": g("symbolic-ref", "-q", "HEAD"),
            "HEAD commit": g("rev-parse", "-q", "--verify", "HEAD"),
            "refs/heads": g("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads"),
            "ls-files --stage": g("ls-files", "--stage", "-z"),
            "ls-files -v": g("ls-files", "-v", "-z"),
            "ls-files --sparse --stage": g("ls-files", "--sparse", "--stage", "-z"),
            "status": g("status", "--porcelain=v2", "--branch", "--untracked-files=all",
                        "--ignored", "-z"),
            "worktree": tree_snapshot(repo),
        }

    def raw_state(self, repo):
        return {"worktree": tree_snapshot(repo),
                "gitdir": gitdir_snapshot(os.path.join(repo, ".git"))}

    def copies(self, base, *labels):
        out = []
        for label in labels:
            dst = self.path(label, os.path.basename(base))
            shutil.copytree(base, dst, symlinks=True)
            out.append(dst)
        return out

    # --- the comparison ---

    def compare(self, setup_fn, expect_ok=False, pull_args=()):
        """Builds the setup, pulls copy A with git and copy B with repopool,
        and checks the promise. Returns an Outcome for further checks."""
        base = setup_fn()
        a, b = self.copies(base, "A", "B")
        name = self.id().split(".")[-1]

        n0 = len(self.log_lines(self.hooklog))
        m0 = len(self.log_lines(self.fsmonitor_log))
        gp = subprocess.run(["git", "pull", "--ff-only"] + list(pull_args), cwd=a, env=self.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=GIT_TIMEOUT)
        git_out = gp.stdout.decode("utf-8", "replace").strip()
        n1 = len(self.log_lines(self.hooklog))
        hooks_a = [l.replace(a, "<repo>") for l in self.log_lines(self.hooklog)[n0:n1]]

        before_b = self.raw_state(b)
        res = self.repopool(["--git", "pull", "--json", "--no-tui", b])
        lines = self.log_lines(self.hooklog)
        hooks_b = [l.replace(b, "<repo>") for l in lines[n1:]]
        marker_b = self.log_lines(self.fsmonitor_log)[m0:]

        ends = res.ends()
        self.assertEqual(len(ends), 1, res.describe())
        end = ends[0]
        status, cls, summary = end["status"], end["class"], end.get("summary", "")
        problems = []
        row = {"name": name, "git": str(gp.returncode), "repopool": "%s/%s" % (status, cls),
               "summary": summary, "verdict": ""}
        expected_exit = 0 if status == "ok" else 1
        if res.returncode != expected_exit:
            problems.append("repopool exit %s with end status %s" % (res.returncode, status))
        view_a = self.view(a)
        view_b = None

        if status == "ok":
            if gp.returncode != 0:
                problems.append("repopool ended ok but git pull --ff-only failed (exit %d): %s"
                                % (gp.returncode, git_out))
            view_b = self.view(b)
            for k in view_a:
                if view_a[k] != view_b[k]:
                    if isinstance(view_a[k], dict):
                        problems.append("%s differs (A=git, B=repopool):" % k)
                        problems.extend(dict_diff(view_a[k], view_b[k], "git", "repopool"))
                    else:
                        problems.append("%s differs:" % k)
                        problems.extend(text_diff(view_a[k], view_b[k], "git", "repopool"))
            if hooks_a != hooks_b:
                problems.append("hooks differ: git ran %r, repopool ran %r" % (hooks_a, hooks_b))
            row["verdict"] = "same" if not problems else "FAIL: " + problems[0][:90]
        else:
            if status not in ("skipped", "failed"):
                problems.append("end status %r is neither ok, skipped nor failed" % status)
            if cls in TRANSIENT:
                problems.append("class %r is transient, for a purely local reason" % cls)
            after_b = self.raw_state(b)
            untouched = []
            for k in before_b:
                if before_b[k] != after_b[k]:
                    untouched.append("%s changed by a refused pull:" % k)
                    untouched.extend(dict_diff(before_b[k], after_b[k]))
            if hooks_b:
                untouched.append("hooks ran in a refused pull: %r" % hooks_b)
            if untouched and gp.returncode != 0 and status == "failed":
                # git failed too: a failure that leaves B exactly as git left
                # A is allowed. "skipped" promises an untouched repository.
                view_b = self.view(b)
                same = view_a == view_b and hooks_a == hooks_b
                if not same:
                    problems.extend(untouched)
                    problems.append("...and B does not match where git left A either:")
                    for k in view_a:
                        if view_a[k] != view_b[k]:
                            problems.append("  %s differs from git's" % k)
            else:
                problems.extend(untouched)
            if problems:
                row["verdict"] = "FAIL: " + problems[0][:90]
            elif gp.returncode == 0:
                row["verdict"] = "git pulled, repopool refused"
            elif untouched:
                row["verdict"] = "both failed; B left exactly as git left A"
            else:
                row["verdict"] = "both refused"
        if expect_ok and status != "ok":
            problems.append("expected repopool to end ok here (git: exit %d)" % gp.returncode)
            row["verdict"] = "FAIL: expected ok, got %s/%s" % (status, cls)
        SUMMARY.append(row)
        if problems:
            self.fail("%s\nrepopool: %s/%s %r\ngit pull --ff-only: exit %d: %s\n%s" % (
                name, status, cls, summary, gp.returncode, git_out[-1500:],
                "\n".join(problems)[:12000]))
        return Outcome(a=a, b=b, base=base, git_rc=gp.returncode, git_out=git_out, res=res, end=end,
                       status=status, cls=cls, hooks_a=hooks_a, hooks_b=hooks_b,
                       marker_b=marker_b, view_a=view_a, view_b=view_b)

    def behind_setup(self, commits=1, files=None, **_):
        """Clean clone, upstream ahead by commits."""
        self.start(files)
        w = self.work()
        for i in range(commits):
            self.up({"README": "v%d\n" % (i + 2), "new/f%d.txt" % i: "n%d\n" % i})
        return w

    def _side_conflict(self, w):
        """A side branch and main both change conflict.txt."""
        self.git("checkout", "-q", "-b", "side", cwd=w)
        self.local_commit(w, {"conflict.txt": "side\n"})
        self.git("checkout", "-q", "main", cwd=w)
        self.local_commit(w, {"conflict.txt": "main\n"})

    def _dir_to_file(self, extra):
        self.start(dict(BASE, **{"d/x": "x\n", "d/y": "y\n"}))
        w = self.work()
        self.up({"d": "now a file\n"})
        for rel, content in extra.items():
            self.write(os.path.join(w, rel), content)
        return w

    def _upper(self, required):
        self.start(dict(BASE, **{".gitattributes": "*.dat filter=upper\n", "x.dat": "lower case\n"}))
        w = self.work(*self.UPPER, *(("-c", "filter.upper.required=true") if required else ()))
        self.assertEqual(self.read(os.path.join(w, "x.dat")), b"LOWER CASE\n")
        self.up({"x.dat": "changed upstream\n", "y.dat": "new file\n"})
        return w

    def _lfs_missing(self, clean):
        self.start(dict(BASE, **{".gitattributes": "*.bin filter=lfs\n", "a.bin": "pointer v1\n"}))
        w = self.work()
        self.git("config", "filter.lfs.smudge", "git-lfs-does-not-exist smudge %f", cwd=w)
        self.git("config", "filter.lfs.required", "true", cwd=w)
        if clean:
            self.git("config", "filter.lfs.clean", clean, cwd=w)
        self.up({"a.bin": "pointer v2\n", "b.bin": "pointer b\n"})
        return w

    def _shallow(self, ahead):
        self.start()
        for i in range(2):
            self.up({"hist.txt": "old %d\n" % i})
        w = self.work("--depth", "1", src="file://" + self.srv)
        self.assertTrue(os.path.exists(os.path.join(w, ".git", "shallow")))
        for i in range(ahead):
            self.up({"README": "v%d\n" % (i + 10), "n%d.txt" % i: "n\n"})
        return w

    def _status_behind(self, w, ahead):
        """repopool --git status after a fetch agrees with git's behind count."""
        c = self.copies(w, "C")[0]
        self.git("fetch", "-q", cwd=c)
        git_ab = [l for l in self.git("status", "--porcelain=v2", "--branch", cwd=c).splitlines()
                  if l.startswith("# branch.ab ")]
        self.assertEqual(git_ab, ["# branch.ab +0 -%d" % ahead])
        res = self.repopool(["--git", "status", "--json", "--no-tui", c])
        e = res.ends()[-1]
        self.assertEqual((e["status"], e.get("git", {}).get("behind"), e.get("git", {}).get("ahead")),
                         ("ok", ahead, 0), res.describe())

    def served_submodule(self):
        """A served repository to use as a submodule, and its pusher."""
        subsrv = self.init(self.path("srv", "sub.git"), bare=True)
        subpush = self.new_repo(self.path("subpusher"), {"s.txt": "s1\n"})
        self.git("remote", "add", "origin", subsrv, cwd=subpush)
        self.git("push", "-q", "-u", "origin", "main", cwd=subpush)
        return subsrv, subpush

    def _submodule(self, recurse):
        subsrv, subpush = self.served_submodule()
        self.start()
        self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
        self.up(msg="add submodule")
        w = self.work("--recurse-submodules")
        self.assertTrue(os.path.exists(os.path.join(w, "sub", "s.txt")))
        if recurse:
            self.git("config", "submodule.recurse", "true", cwd=w)
        self.commit(subpush, {"s.txt": "s2\n", "s-new.txt": "new\n"})
        self.git("push", "-q", "origin", "main", cwd=subpush)
        self.git("-C", "sub", "pull", "-q", "--ff-only", cwd=self.pusher)
        self.up({"README": "v2\n"}, msg="move submodule")
        return w

    def _watched_repo(self, sparse_index=False):
        """A repository behind its upstream, every hook installed, fsmonitor
        set to a script that notes each call."""
        if sparse_index:
            self.start(self.SPARSE)
        else:
            self.start()
        w = self.work()
        if sparse_index:
            self.git("sparse-checkout", "init", "--cone", "--sparse-index", cwd=w)
            self.git("sparse-checkout", "set", "dir1", cwd=w)
        self.install_hooks(w, names=ALL_HOOKS)
        script = self.path("fsmonitor.sh")
        self.write(script, "#!/bin/sh\necho \"fsmonitor $*\" >> '%s'\nexit 1\n" % self.fsmonitor_log, mode=0o755)
        self.git("config", "core.fsmonitor", script, cwd=w)
        self.up({"README": "v2\n"})
        self.write(os.path.join(w, "scratch.txt"), "untracked\n")
        return w

    def _check_quiet_op(self, w, op):
        b = self.copies(w, "B-" + op)[0]
        before = self.raw_state(b)
        n0, m0 = len(self.log_lines(self.hooklog)), len(self.log_lines(self.fsmonitor_log))
        res = self.repopool(["--git", op, "--json", "--no-tui", b])
        e = res.ends()[-1]
        hooks = self.log_lines(self.hooklog)[n0:]
        marks = self.log_lines(self.fsmonitor_log)[m0:]
        problems = []
        if e["status"] != "ok":
            problems.append("--git %s ended %s/%s: %s" % (op, e["status"], e["class"], e.get("summary")))
        if hooks:
            problems.append("--git %s ran hooks: %r" % (op, hooks))
        if marks:
            problems.append("--git %s ran core.fsmonitor: %r" % (op, marks))
        if op == "status":
            after = self.raw_state(b)
            for k in before:
                if before[k] != after[k]:
                    problems.append("--git status changed %s:" % k)
                    problems.extend(dict_diff(before[k], after[k]))
        self.assertFalse(problems, "\n".join(problems) + "\n" + res.describe())

    def _odd_branch(self, name):
        self.start()
        self.git("checkout", "-q", "-b", name, cwd=self.pusher)
        self.up({"odd.txt": "first\n"})
        w = self.work("-b", name)
        self.up({"odd.txt": "second\n"})
        return w
