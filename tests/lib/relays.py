"""TCP relays on 127.0.0.1 in front of a server (a git daemon): one that
throttles (or never answers), one that answers each connection late, one
that delivers everything late (network latency), one with room for only so
many connections, one that holds the pack back while it sends keepalives or
progress, and a throttling relay in a process of its own that a test can
kill like a server that dies. A relay may listen on another loopback
address (127.0.0.2: another host to a client that names hosts).

Run as a program (`python3 -m lib.relays PORT TARGET_PORT RATE THRESHOLD`,
tests/ on the path), this module is that process's relay.
"""

import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time

from .config import GONE_TIMEOUT, TESTS_DIR
from .procs import kill_leader


class _Connection:
    def __init__(self, n):
        self.n = n          # 1 for the first accepted
        self.sent = 0       # bytes sent to the client
        self.told = False   # past the threshold, said so
        self.counted = True # still counted among the open connections


class Relay:
    """A TCP relay on host (127.0.0.1, or another loopback address) and
    port (or a free one) in front of target_port on 127.0.0.1: each accepted connection gets its own threads, and the
    relay counts connections open at once (current, peak) and in all
    (total, also as connections). A connection counts from its accept
    until the client closes its side (or the relay ends it): what the
    client holds at once, however late the server notices. open_at_accept[i] is how many were
    open (the new one included) right after the i-th accept.

    Subclasses may override _before_connect(client) (runs after the
    accept, before connecting onwards), _server_to_client(server, client,
    conn) and _event(text), which hears "conn N" at each accept and
    "done N BYTES" when the server's side of connection N has ended.
    """

    def __init__(self, target_port, port=0, host="127.0.0.1"):
        self.target_port = target_port
        self.host = host
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.current = 0
        self.peak = 0
        self.total = 0
        self.open_at_accept = []
        self.socks = []
        self.threads = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._spawn(self._accept_loop)

    @property
    def connections(self):
        """Connections accepted so far (since reset_counts)."""
        with self.lock:
            return self.total

    def url(self, name):
        return "git://%s:%d/%s" % (self.host, self.port, name)

    def reset_counts(self):
        """Starts peak and total afresh (peak from the connections open now)."""
        with self.lock:
            self.peak = self.current
            self.total = 0
            self.open_at_accept = []

    def counts(self):
        with self.lock:
            return {"current": self.current, "peak": self.peak, "total": self.total,
                    "open_at_accept": list(self.open_at_accept)}

    def _event(self, text):
        pass

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self.lock:
            self.threads.append(t)
        t.start()
        return t

    def _track(self, s):
        with self.lock:
            self.socks.append(s)

    def _accept_loop(self):
        accepted = 0
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._track(client)
            accepted += 1
            with self.lock:
                self.current += 1
                self.total += 1
                self.peak = max(self.peak, self.current)
                self.open_at_accept.append(self.current)
            self._event("conn %d" % accepted)
            self._spawn(self._serve, client, _Connection(accepted))

    def _closed(self, conn):
        with self.lock:
            if conn.counted:
                conn.counted = False
                self.current -= 1

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    @staticmethod
    def _shut_wr(s):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _before_connect(self, client):
        pass

    def _serve(self, client, conn):
        self._before_connect(client)
        server = None
        if not self.stopping.is_set():
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                server.settimeout(None)
                self._track(server)
            except OSError:
                server = None
        if server is None:
            self._close(client)
            self._event("done %d 0" % conn.n)
            self._closed(conn)
            return
        upstream = self._spawn(self._pump, client, server, conn)
        try:
            self._server_to_client(server, client, conn)
        except OSError:
            pass
        self._shut_wr(client)
        self._event("done %d %d" % (conn.n, conn.sent))
        upstream.join()
        self._close(client, server)
        self._closed(conn)

    def _pump(self, src, dst, conn):
        """The client's side, to the server: once the client has closed it,
        the connection no longer counts."""
        try:
            while not self.stopping.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._closed(conn)
        self._shut_wr(dst)

    def _server_to_client(self, server, client, conn):
        while not self.stopping.is_set():
            data = server.recv(65536)
            if not data:
                break
            client.sendall(data)
            conn.sent += len(data)

    def stop(self):
        self.stopping.set()
        self._close(self.listener)
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._close(s)
        with self.lock:
            threads = list(self.threads)
        for t in threads:
            t.join(timeout=10)


class ThrottlingProxy(Relay):
    """rate: bytes per second forwarded from the server to each client
    (None: unlimited); served counts them. silent=True: accept and read,
    but never connect onwards or answer, like a server that hangs.
    threshold: say "mid N" once connection N has passed that many bytes
    to its client."""

    def __init__(self, target_port, rate=None, silent=False, chunk=8192, threshold=None, port=0):
        self.rate = rate
        self.silent = silent
        self.chunk = chunk
        self.threshold = threshold
        self.served = 0
        super().__init__(target_port, port=port)

    def _serve(self, client, conn):
        if not self.silent:
            super()._serve(client, conn)
            return
        try:
            while not self.stopping.is_set() and client.recv(65536):
                pass
        except OSError:
            pass
        self._closed(conn)

    def _server_to_client(self, server, client, conn):
        if not self.rate:
            super()._server_to_client(server, client, conn)
            return
        start = time.monotonic()
        while not self.stopping.is_set():
            data = server.recv(self.chunk)
            if not data:
                break
            client.sendall(data)
            conn.sent += len(data)
            with self.lock:
                self.served += len(data)
            if self.threshold is not None and not conn.told and conn.sent >= self.threshold:
                conn.told = True
                self._event("mid %d" % conn.n)
            ahead = conn.sent / self.rate - (time.monotonic() - start)
            if ahead > 0:
                self.stopping.wait(ahead)


class RecordingRelay(Relay):
    """A relay that keeps everything each connection's server sent, in
    connection order (streams), to count what a fetch received."""

    def __init__(self, target_port, port=0):
        self.streams = []
        super().__init__(target_port, port)

    def _server_to_client(self, server, client, conn):
        received = bytearray()
        with self.lock:
            self.streams.append(received)
        while not self.stopping.is_set():
            data = server.recv(65536)
            if not data:
                break
            received += data
            client.sendall(data)
            conn.sent += len(data)

    def take(self):
        """The streams recorded since the last take."""
        with self.lock:
            streams, self.streams = self.streams, []
        return [bytes(s) for s in streams]


def pack_objects_sent(streams):
    """How many objects the packs in these server streams hold: the count in
    each pack header, which travels whole in the first band-1 pkt-line."""
    total = 0
    for stream in streams:
        at = stream.find(b"\x01PACK\x00\x00\x00\x02")
        if at >= 0:
            total += int.from_bytes(stream[at + 9:at + 13], "big")
    return total


class RefusingRelay(Relay):
    """A server with room for limit connections at once: one past it is
    reset at once, before the server says anything, as a git daemon past
    --max-connections or an sshd past MaxStartups drops it. refused counts
    them; served counts the connections let through."""

    def __init__(self, target_port, limit, port=0, host="127.0.0.1"):
        self.limit = limit
        self.refused = 0
        self.served = 0
        self.serving = 0
        super().__init__(target_port, port, host)

    def _serve(self, client, conn):
        with self.lock:
            full = self.serving >= self.limit
            if full:
                self.refused += 1
            else:
                self.serving += 1
                self.served += 1
        if full:
            # A reset, not a polite close: SO_LINGER with a zero timeout.
            try:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self._close(client)
            self._closed(conn)
            return
        try:
            super()._serve(client, conn)
        finally:
            with self.lock:
                self.serving -= 1


class DelayingRelay(Relay):
    """A relay that holds every new connection for delay seconds (read at
    each accept, so a test may change it) before connecting onwards: a
    server that answers each connection late. peak says how many
    connections were open at once."""

    def __init__(self, target_port, delay=0.0):
        self.delay = delay
        super().__init__(target_port)

    def _before_connect(self, client):
        with self.lock:
            delay = self.delay
        if delay > 0:
            self.stopping.wait(delay)


class LatencyRelay(Relay):
    """A relay that delivers every chunk, both ways, delay seconds after it
    arrived, as a network with that one-way latency would: a round trip
    costs 2 x delay, bytes are late but not throttled (a thread per
    direction takes chunks in as they come, so one chunk's wait never adds
    to the next one's)."""

    def __init__(self, target_port, delay, port=0, host="127.0.0.1"):
        self.delay = delay
        super().__init__(target_port, port, host)

    def _late_copy(self, src, dst, conn=None):
        """src to dst until src ends (EOF or an error), each chunk delay
        seconds late; counts into conn.sent. Raises OSError if dst fails."""
        chunks = queue.Queue()

        def take_in():
            try:
                while not self.stopping.is_set():
                    data = src.recv(65536)
                    if not data:
                        break
                    chunks.put((time.monotonic() + self.delay, data))
            except OSError:
                pass
            chunks.put((time.monotonic() + self.delay, b""))

        self._spawn(take_in)
        while True:
            due, data = chunks.get()
            if self.stopping.wait(max(0.0, due - time.monotonic())) or not data:
                return
            dst.sendall(data)
            if conn is not None:
                conn.sent += len(data)

    def _server_to_client(self, server, client, conn):
        self._late_copy(server, client, conn)

    def _pump(self, src, dst, conn):
        try:
            self._late_copy(src, dst)
        except OSError:
            pass
        self._closed(conn)
        self._shut_wr(dst)


def pkt_line(payload):
    """payload as one git pkt-line (4 hex digits of length, then the data)."""
    return b"%04x" % (len(payload) + 4) + payload


# What upload-pack sends while pack-objects is quiet: an empty band-1 packet.
KEEPALIVE_PKT = b"0005\x01"
PROGRESS_PKT = pkt_line(b"\x02Counting objects: 1\r")


class PackHoldingRelay(Relay):
    """A relay that reads the server's pkt-lines (git protocol v0/v1) and,
    at the first band-1 packet of a connection (the pack data, which comes
    after the NAK/ACK lines that answer the client's "done"), holds it and
    everything after it back for hold seconds. Meanwhile it sends inject (a
    whole pkt-line, or None for silence) every interval seconds, then
    forwards the held packet and the rest unchanged.

    holds counts holds begun, holds_done those that ran their full time,
    injected the packets sent in them.
    """

    def __init__(self, target_port, hold=8.0, inject=None, interval=1.0):
        self.hold = hold
        self.inject = inject
        self.interval = interval
        self.holds = 0
        self.holds_done = 0
        self.injected = 0
        super().__init__(target_port)

    def _hold(self, client):
        with self.lock:
            self.holds += 1
        if self.inject is None:
            if self.stopping.wait(self.hold):
                return
        else:
            for _ in range(int(round(self.hold / self.interval))):
                if self.stopping.wait(self.interval):
                    return
                client.sendall(self.inject)
                with self.lock:
                    self.injected += 1
        with self.lock:
            self.holds_done += 1

    def _server_to_client(self, server, client, conn):
        buf = b""
        passthrough = False
        while not passthrough and not self.stopping.is_set():
            data = server.recv(65536)
            if not data:
                client.sendall(buf)
                return
            buf += data
            # Forward whole packets until a band-1 packet begins.
            pos = 0
            while len(buf) - pos >= 4:
                head = buf[pos:pos + 4]
                if not all(c in b"0123456789abcdefABCDEF" for c in head):
                    passthrough = True  # not pkt-lines after all
                    break
                n = int(head, 16)
                if n > 4:
                    if len(buf) - pos < 5:
                        break
                    if buf[pos + 4] == 1:
                        client.sendall(buf[:pos])
                        buf = buf[pos:]
                        pos = 0
                        self._hold(client)
                        passthrough = True
                        break
                size = max(n, 4)
                if len(buf) - pos < size:
                    break
                pos += size
            client.sendall(buf[:pos])
            buf = buf[pos:]
        client.sendall(buf)
        # Held (or not pkt-lines): the rest goes through unchanged.
        super()._server_to_client(server, client, conn)


class KillableRelay:
    """A ThrottlingProxy in its own process and process group, on a given
    port in front of target_port: rate bytes per second per connection,
    server to client. It prints "ready", then "conn N" per connection,
    "mid N" once connection N has passed threshold bytes to its client and
    "done N BYTES" at its end; kill() drops every connection at once, as a
    server that dies would, and a new one may listen on the port again."""

    def __init__(self, test, port, target_port, rate, threshold=256 * 1024):
        self.test = test
        self.port = port
        self.target_port = target_port
        self.rate = rate
        self.threshold = threshold
        self.proc = None
        self.reader = None
        self.lines = []
        self.lock = threading.Lock()

    def start(self):
        """Returns whether it listens."""
        path = os.pathsep.join(p for p in (TESTS_DIR, self.test.env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lib.relays", str(self.port), str(self.target_port),
             str(self.rate), str(self.threshold)],
            env=dict(self.test.env, PYTHONPATH=path), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        first = self.proc.stdout.readline()
        if first.strip() != b"ready":
            self.kill()
            return False
        self.reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self.reader.start()
        return True

    def _read(self, proc):
        for line in proc.stdout:
            with self.lock:
                self.lines.append(line.decode().split())

    def in_flight(self):
        """Connections past the threshold that have not ended (after kill():
        those the kill cut)."""
        with self.lock:
            mid = {l[1] for l in self.lines if l[0] == "mid"}
            done = {l[1] for l in self.lines if l[0] == "done"}
        return mid - done

    def kill(self):
        """SIGKILL to the relay's group: every connection drops at once.
        Then every line it wrote has been read."""
        if self.proc is None:
            return
        kill_leader(self.proc)
        if self.reader:
            self.reader.join(timeout=GONE_TIMEOUT)
            self.reader = None
        self.proc.stdout.close()
        self.proc = None


def _main(argv):
    if len(argv) != 4:
        return "usage: python3 -m lib.relays PORT TARGET_PORT RATE THRESHOLD"
    port, target_port, rate, threshold = int(argv[0]), int(argv[1]), float(argv[2]), int(argv[3])
    out_lock = threading.Lock()

    def say(text):
        with out_lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    class Announcing(ThrottlingProxy):
        def _event(self, text):
            say(text)

    try:
        Announcing(target_port, rate=rate, chunk=16384, threshold=threshold, port=port)
    except OSError as e:
        say("error %s" % e)
        return 1
    say("ready")
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
