#!/usr/bin/env python3
"""Credential tests of repopool's libgit2 fetch over smart HTTP.

A real smart-HTTP git server runs inside the test: a Python http.server on
127.0.0.1 (a free port) that demands HTTP Basic auth (alice / s3cret) and
then hands the request to `git http-backend` as a CGI. It counts the
requests it gets and the 401s it sends.

repopool must ask git's credential helpers once (`git credential fill`, with
no terminal prompt) when the server answers 401, and fail with class "auth"
(no retry, no loop) when the credentials are missing or wrong.

Each test works in its own temporary directory with its own HOME
(GIT_CONFIG_NOSYSTEM=1) and stops its server in cleanup. Timeouts only guard
against hangs; no assertion depends on how fast anything is.
"""

import base64
import http.server
import os
import shlex
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402

USER = "alice"
PASSWORD = "s3cret"

# A failure that must come quickly: no prompt, no hang, no loop.
PROMPT_TIMEOUT = 120


class SmartHttpServer:
    """`git http-backend` behind HTTP Basic auth on 127.0.0.1."""

    def __init__(self, project_root, env):
        self.project_root = project_root
        self.env = dict(env)
        self.lock = threading.Lock()
        self.requests = 0
        self.unauthorized = 0
        self.log = []  # (method, path, status)
        expected = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                self.handle_git()

            def do_POST(self):
                self.handle_git()

            def read_body(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    body = bytearray()
                    while True:
                        line = self.rfile.readline()
                        size = int(line.split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return bytes(body)
                        body += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def handle_git(self):
                body = self.read_body()
                with outer.lock:
                    outer.requests += 1
                if self.headers.get("Authorization") != expected:
                    with outer.lock:
                        outer.unauthorized += 1
                        outer.log.append((self.command, self.path, 401))
                    msg = b"authentication required\n"
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                path, _, query = self.path.partition("?")
                cgi_env = dict(outer.env)
                cgi_env.update({
                    "GIT_PROJECT_ROOT": outer.project_root,
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "GATEWAY_INTERFACE": "CGI/1.1",
                    "SERVER_PROTOCOL": "HTTP/1.0",
                    "REQUEST_METHOD": self.command,
                    "QUERY_STRING": query,
                    "PATH_INFO": path,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": USER,
                    "REMOTE_ADDR": "127.0.0.1",
                })
                for key, value in self.headers.items():
                    name = "HTTP_" + key.upper().replace("-", "_")
                    if name not in ("HTTP_AUTHORIZATION", "HTTP_CONTENT_LENGTH",
                                    "HTTP_CONTENT_TYPE", "HTTP_TRANSFER_ENCODING"):
                        cgi_env[name] = value
                if "HTTP_GIT_PROTOCOL" in cgi_env:
                    cgi_env["GIT_PROTOCOL"] = cgi_env["HTTP_GIT_PROTOCOL"]
                p = subprocess.run(["git", "http-backend"], input=body, env=cgi_env,
                                   cwd=outer.project_root, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=120)
                out = p.stdout
                sep = out.find(b"\r\n\r\n")
                seplen = 4
                if sep < 0:
                    sep, seplen = out.find(b"\n\n"), 2
                if sep < 0:
                    head, payload = b"", out
                else:
                    head, payload = out[:sep], out[sep + seplen:]
                status, reason = 200, "OK"
                headers = []
                for line in head.decode("latin-1").splitlines():
                    if not line.strip():
                        continue
                    key, _, value = line.partition(":")
                    value = value.strip()
                    if key.lower() == "status":
                        code, _, reason = value.partition(" ")
                        status = int(code)
                    elif key.lower() != "content-length":
                        headers.append((key, value))
                if p.returncode != 0 and not head:
                    status, reason = 500, "Internal Server Error"
                    payload = p.stderr
                with outer.lock:
                    outer.log.append((self.command, self.path, status))
                self.send_response(status, reason or None)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def counts(self):
        with self.lock:
            return self.requests, self.unauthorized

    def reset(self):
        with self.lock:
            self.requests = 0
            self.unauthorized = 0
            self.log = []

    def describe(self):
        with self.lock:
            return "server: %d requests, %d 401s: %s" % (self.requests, self.unauthorized, self.log)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=30)


class CredentialTest(TestCase):

    def setUp(self):
        super().setUp()
        root = self.path("srv")
        os.mkdir(root)
        self.bare = self.init(os.path.join(root, "x.git"), bare=True)
        self.work = self.new_repo(self.path("work"))
        self.git("remote", "add", "origin", self.bare, cwd=self.work)
        self.git("push", "-q", "origin", "main", cwd=self.work)
        self.server = SmartHttpServer(root, self.env)
        self.addCleanup(self.server.stop)
        # The local clone is made straight from the directory, then pointed
        # at the server; only then does the server get a commit it lacks.
        self.local = self.path("repos", "local")
        self.git("clone", "-q", "file://" + self.bare, self.local)
        self.git("remote", "set-url", "origin", self.server.url("x.git"), cwd=self.local)
        self.old = self.rev(self.local, "refs/remotes/origin/main")
        self.new = self.commit(self.work, {"README": "new on the server\n"})
        self.git("push", "-q", "origin", "main", cwd=self.work)
        self.assertNotEqual(self.old, self.new)
        self.helper_log = self.path("helper.log")

    def set_helper(self, password):
        """A helper that notes each call, then answers alice / password."""
        script = "!f() { echo \"$1\" >> %s; echo username=%s; echo password=%s; }; f" % (
            shlex.quote(self.helper_log), USER, password)
        self.git("config", "credential.helper", script, cwd=self.local)

    def helper_calls(self):
        try:
            with open(self.helper_log) as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def fetch(self, extra=(), env=None):
        return self.repopool(["--git", "fetch"] + list(extra) + [self.local],
                             timeout=PROMPT_TIMEOUT, env=env)

    def describe(self, res):
        return res.describe() + "\n" + self.server.describe() + "\nhelper calls: %s" % self.helper_calls()

    def assert_auth_failure(self, res):
        self.assertEqual(res.returncode, 1, self.describe(res))
        self.assertEqual(len(res.ends()), 1, self.describe(res))
        e = self.single_end(res, self.local)
        self.assertEqual(e["status"], "failed", self.describe(res))
        self.assertEqual(e["class"], "auth", self.describe(res))
        # Not transient: no retry, however many were allowed.
        self.assertEqual(res.retries(), [], self.describe(res))
        self.assertEqual(e["attempt"], 1, self.describe(res))
        requests, unauthorized = self.server.counts()
        self.assertGreaterEqual(unauthorized, 1, self.describe(res))
        self.assertLessEqual(unauthorized, 3, self.describe(res))
        self.assertLessEqual(requests, 4, self.describe(res))
        # Nothing arrived.
        self.assertEqual(self.rev(self.local, "refs/remotes/origin/main"), self.old)

    def test_sanity_git_fetch_over_the_server(self):
        """The server works for git itself, with the right helper, and refuses without."""
        p = self.git("ls-remote", self.server.url("x.git"), cwd=self.local, check=False)
        self.assertNotEqual(p.returncode, 0, self.server.describe())
        self.set_helper(PASSWORD)
        out = self.git("ls-remote", self.server.url("x.git"), "refs/heads/main", cwd=self.local)
        self.assertEqual(out.split()[0], self.new, self.server.describe())

    def test_helper_with_right_password(self):
        self.set_helper(PASSWORD)
        res = self.fetch()
        self.assertEqual(res.returncode, 0, self.describe(res))
        e = self.single_end(res, self.local)
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), self.describe(res))
        self.assertEqual(self.rev(self.local, "refs/remotes/origin/main"), self.new,
                         self.describe(res))
        # The helpers were asked once.
        self.assertEqual(self.helper_calls(), ["get"], self.describe(res))
        requests, unauthorized = self.server.counts()
        self.assertGreaterEqual(unauthorized, 1, self.describe(res))
        self.assertLessEqual(unauthorized, 2, self.describe(res))
        self.git("fsck", "--strict", "--no-progress", cwd=self.local)

    def test_helper_with_wrong_password(self):
        self.set_helper("wrong")
        res = self.fetch(["--retries", "3"])
        self.assert_auth_failure(res)
        self.assertEqual(self.helper_calls(), ["get"], self.describe(res))
        # The wrong password was sent once, so the server said 401 twice:
        # once to the bare request, once to alice/wrong.
        self.assertEqual(self.server.counts()[1], 2, self.describe(res))

    def test_no_helper(self):
        for keep_prompt_var in (True, False):
            with self.subTest(GIT_TERMINAL_PROMPT="0" if keep_prompt_var else "unset"):
                self.server.reset()
                env = dict(self.env)
                if not keep_prompt_var:
                    # repopool must switch the prompt off itself.
                    env.pop("GIT_TERMINAL_PROMPT", None)
                t0 = time.monotonic()
                res = self.fetch_detached(["--retries", "3"], env)
                elapsed = time.monotonic() - t0
                self.assert_auth_failure(res)
                # Only the bare request was refused: nothing was sent after it.
                self.assertEqual(self.server.counts()[1], 1, self.describe(res))
                self.assertLess(elapsed, PROMPT_TIMEOUT, self.describe(res))

    def fetch_detached(self, extra, env):
        """Like fetch(), but with no controlling terminal, so a prompt on
        /dev/tty cannot block the suite, and with stdin on /dev/null."""
        return self.repopool(["--json", "--git", "fetch"] + list(extra) + [self.local],
                             timeout=PROMPT_TIMEOUT, env=env, new_session=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
