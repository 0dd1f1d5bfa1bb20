"""The local agent and the channel to it (docs/python.md, "The agent channel").

The agent is ``cohort agent``: the TypeScript SDK, run for this process. The
client gives it one end of a Unix socket pair as an inherited file descriptor and sends
frames: a 4-byte big-endian length, then JSON ``[op, id, args]``. ``log`` rows
(in the compact form of :class:`RowKeys`) are queued on the caller's turn and sent, many per frame, by a background
thread every ``FLUSH_INTERVAL`` seconds (or sooner when many are queued);
every other call first sends the queued rows, so the agent sees calls in order.
"""

import collections
import os
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import threading

from . import _values
from .errors import AgentError, from_wire

# How often queued rows are sent to the agent (seconds).
FLUSH_INTERVAL = 0.05
# Rows that make the background thread send at once.
FLUSH_ROWS = 2000
# Rows that make the caller itself send (bounds the queue when the agent is slower than the loop).
MAX_QUEUED_ROWS = 100_000
_HEADER = struct.Struct(">I")
_MAX_FRAME = 64 * 1024 * 1024

INSTALL_HINT = (
    "Cohort's Python client needs its local agent, the `cohort` command (Node.js 20): "
    "set COHORT_AGENT to a command that runs it (e.g. `node /path/to/cohort/apps/cli/dist/main.js`), "
    "or put `cohort` on PATH (`npm install -g` the Cohort CLI, or `npm ci && npm run build` in the monorepo). "
    "See docs/python.md."
)


def agent_command(env=None):
    """The command that starts ``cohort``: COHORT_AGENT, else ``cohort`` on PATH, else the monorepo's built CLI."""
    env = os.environ if env is None else env
    given = env.get("COHORT_AGENT", "").strip()
    if given:
        return shlex.split(given)
    on_path = shutil.which("cohort", path=env.get("PATH"))
    if on_path:
        return [on_path]
    here = os.path.dirname(os.path.abspath(__file__))
    main_js = os.path.normpath(os.path.join(here, "..", "..", "..", "apps", "cli", "dist", "main.js"))
    node = shutil.which("node", path=env.get("PATH"))
    if os.path.isfile(main_js) and node:
        return [node, main_js]
    raise AgentError("cannot find the Cohort agent. " + INSTALL_HINT)


class Channel:
    """One agent process and the socket to it. Thread-safe; one call waits for its answer at a time."""

    def __init__(self, command=None):
        command = agent_command() if command is None else command
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        env.setdefault("COHORT_LOG_LEVEL", "warn")
        try:
            self._proc = subprocess.Popen(
                command + ["agent", "--fd", str(child.fileno())],
                stdin=subprocess.DEVNULL,
                pass_fds=(child.fileno(),),
                # Its own session: Ctrl-C and a launcher's killpg reach the client, which finishes the run.
                start_new_session=True,
                env=env,
            )
        except OSError as err:
            parent.close()
            child.close()
            raise AgentError("cannot start the Cohort agent `{}`: {}. {}".format(" ".join(command), err, INSTALL_HINT)) from None
        child.close()
        self._sock = parent
        self._pid = os.getpid()
        self._queue = collections.deque()
        self._write_lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._dead = None
        self._dropped = 0
        self._next_id = 1
        self._rbuf = b""
        self._keys = RowKeys()
        self._flusher = threading.Thread(target=self._flush_loop, name="cohort-flush", daemon=True)
        self._flusher.start()

    @property
    def pid(self):
        return self._proc.pid

    @property
    def dead(self):
        """Why the agent is gone, or ``None`` while it runs."""
        return self._dead

    @property
    def dropped(self):
        """Calls this channel could not hand to its agent (once it is gone, the rows still queued count too)."""
        return self._dropped + (len(self._queue) if self._dead is not None else 0)

    # ---- the caller's turn --------------------------------------------------

    def log(self, row, step, commit):
        """Queues one row; no I/O unless the queue is full."""
        if self._dead is not None:
            self._lost(1)
            return
        q = self._queue
        q.append((row, step, commit))
        n = len(q)
        if n >= FLUSH_ROWS:
            if n >= MAX_QUEUED_ROWS:
                self.flush_rows()
            else:
                self._wake.set()

    def call(self, op, args=None):
        """Sends the queued rows and one call; returns the agent's answer or raises its error."""
        with self._call_lock:
            return self._call_locked(op, args)

    def terminate(self, wait=30.0):
        """SIGTERM reached this process: the agent ends the run the SDK's way (preempting, flush, exit 143).

        Runs in a signal handler, maybe while this thread is inside a call: when
        the channel stays busy, the agent gets the signal itself (rows still
        queued here are then lost).
        """
        if self._call_lock.acquire(timeout=1.0):
            try:
                if self._write_lock.acquire(timeout=1.0):
                    self._write_lock.release()
                    self._call_locked("terminate", None)
                    return
            except AgentError:
                return
            finally:
                self._call_lock.release()
        try:
            os.kill(self._proc.pid, 15)
            self._proc.wait(timeout=wait)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def _call_locked(self, op, args):
        if self._dead is not None:
            raise AgentError("the Cohort agent is gone ({}); this run cannot continue in this process".format(self._dead))
        call_id = self._next_id
        self._next_id += 1
        self._send_rows_and([op, call_id, args if args is not None else {}])
        while True:
            frame = self._read_frame()
            if not isinstance(frame, list) or len(frame) != 3:
                raise AgentError("the Cohort agent answered a malformed frame: {!r}".format(frame)[:300])
            if frame[0] == call_id:
                break
        if frame[1] == "ok":
            return frame[2]
        raise from_wire(frame[2] or {})

    def flush_rows(self):
        """Sends every queued row now."""
        self._send_rows_and(None)

    def close(self, wait=10.0):
        """Closes the channel (the agent then ends) and waits for the agent to exit."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self._proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass

    # ---- internals ----------------------------------------------------------

    def _send_rows_and(self, request):
        with self._write_lock:
            if self._dead is not None:
                if request is not None:
                    raise AgentError("the Cohort agent is gone ({})".format(self._dead))
                return
            q = self._queue
            frames = []
            rows = []
            if q:
                pop = q.popleft
                try:
                    while True:
                        rows.append(pop())
                except IndexError:
                    pass
                frames.extend(self._log_frames(rows))
            if request is not None:
                frames.append(_frame(request))
            if not frames:
                return
            try:
                self._sock.sendall(b"".join(frames) if len(frames) > 1 else frames[0])
            except OSError as err:
                self._died(str(err), len(rows))
                if request is not None:
                    raise AgentError("the Cohort agent is gone ({})".format(self._dead)) from None

    def _log_frames(self, rows):
        """Frames of at most FLUSH_ROWS compact rows (the agent parses each on its turn); a row with media goes alone, as ``log_media``."""
        frames = []
        start = 0
        for i, entry in enumerate(rows):
            if type(entry[0]) is _values.MediaRow:
                frames.extend(self._compact(rows[start:i]))
                frames.append(_frame(["log_media", 0, list(entry)]))
                start = i + 1
        frames.extend(self._compact(rows[start:]))
        return frames

    def _compact(self, rows):
        return [_frame(["log", 0, self._keys.encode(rows[i : i + FLUSH_ROWS])]) for i in range(0, len(rows), FLUSH_ROWS)]

    def _flush_loop(self):
        while not self._closed:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            if self._closed or os.getpid() != self._pid:
                return
            code = self._proc.poll()
            if code is not None:
                self._died("it exited with code {}".format(code), 0)
                return
            try:
                self.flush_rows()
            except Exception as err:  # noqa: BLE001 - the thread must report, not die silently
                self._died("sending rows failed: {}".format(err), 0)

    def _read_frame(self):
        while len(self._rbuf) < 4:
            self._recv()
        (length,) = _HEADER.unpack_from(self._rbuf)
        if length > _MAX_FRAME:
            raise AgentError("the Cohort agent sent a frame of {} bytes (over {})".format(length, _MAX_FRAME))
        while len(self._rbuf) < 4 + length:
            self._recv()
        body = self._rbuf[4 : 4 + length]
        self._rbuf = self._rbuf[4 + length :]
        return _values.loads(body.decode("utf-8"))

    def _recv(self):
        try:
            chunk = self._sock.recv(1 << 20)
        except OSError as err:
            chunk = b""
            reason = str(err)
        else:
            reason = "it closed the channel"
        if not chunk:
            code = self._proc.poll()
            if code is not None:
                reason = "it exited with code {}".format(code)
            self._died(reason, 0)
            raise AgentError("the Cohort agent is gone ({})".format(self._dead))
        self._rbuf += chunk

    def _died(self, reason, lost):
        if self._dead is None:
            self._dead = reason
        self._lost(lost)

    def _lost(self, n):
        self._dropped += n


class RowKeys:
    """The compact form of ``log`` rows: each distinct key list is sent once, then rows carry only values.

    ``encode(rows)`` gives ``[definitions, rows]``: ``definitions`` are
    ``[id, [key, ...]]`` for key lists the agent has not seen, and each row is
    ``[id, step, commit, value, ...]``. Ids are below ``MAX_KEY_LISTS``; when
    they run out the table starts again (a reused id is defined again first).
    """

    MAX_KEY_LISTS = 4096

    def __init__(self):
        self._ids = {}

    def encode(self, rows):
        ids = self._ids
        definitions = []
        out = []
        for data, step, commit in rows:
            keys = tuple(data)
            key_id = ids.get(keys)
            if key_id is None:
                if len(ids) >= self.MAX_KEY_LISTS:
                    ids.clear()
                key_id = len(ids)
                ids[keys] = key_id
                definitions.append([key_id, list(keys)])
            out.append([key_id, step, commit, *data.values()])
        return [definitions, out]


def _frame(value):
    body = _values.dumps(value).encode("utf-8")
    return _HEADER.pack(len(body)) + body
