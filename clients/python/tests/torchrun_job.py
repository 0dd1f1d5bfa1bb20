"""One `torchrun --nproc_per_node N` job of examples/train_ddp.py, its workers' lines collected as they come."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

TRAIN = os.path.join(os.path.dirname(__file__), "..", "examples", "train_ddp.py")
RUN_LINE = re.compile(r"cohort run (\S+) group (\S+) rank (\d+) pid (\d+)")
STEP_LINE = re.compile(r"rank (\d+) logged step (\d+)")


class Job:
    """A torchrun job (PyTorch's torch.distributed.run, DDP on gloo) whose every rank logs through the client."""

    def __init__(self, env, nproc=4, cwd=None, **extra):
        pytest.importorskip("torch.distributed.run")
        env = dict(env, **{k: str(v) for k, v in extra.items()})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "-r", "1", "-t", "1", "--monitor_interval", "0.2",
             "--nproc_per_node", str(nproc), "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), TRAIN],
            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.runs = {}  # rank -> (run id, group, pid)
        self.logged = {}  # rank -> last step printed after its log call
        self.output = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            m = RUN_LINE.search(line)
            if m:
                self.runs[int(m.group(3))] = (m.group(1), m.group(2), int(m.group(4)))
            m = STEP_LINE.search(line)
            if m:
                self.logged[int(m.group(1))] = int(m.group(2))

    def wait(self, timeout):
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def text(self):
        """The job's last lines, without the per-step ones."""
        return "".join([line for line in self.output if not STEP_LINE.search(line)][-120:])

    def until(self, check, timeout, what):
        deadline = time.time() + timeout
        while not check():
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("{} did not happen (exit {}):\n{}".format(what, self.proc.poll(), self.text()))
            time.sleep(0.1)

    def until_every_rank_logged(self, nproc, steps, timeout):
        self.until(lambda: len(self.logged) == nproc and min(self.logged.values()) >= steps, timeout, "every rank logging {} steps".format(steps))

    def stop(self):
        """SIGTERM (torchrun passes it to its workers) if it still runs, then SIGKILL after 30 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class KilledRank:
    """Rank `rank` of `job` (PROJECT `project`) gets kill -9 once every rank has logged `steps` steps,
    from a thread of its own: the caller goes on meanwhile."""

    def __init__(self, job, project, nproc, rank, steps):
        self.job, self.project = job, project
        self.run_id = self.logged = self.killed_at = None
        self._error = None
        self._thread = threading.Thread(target=self._kill, args=(nproc, rank, steps), daemon=True)
        self._thread.start()

    def _kill(self, nproc, rank, steps):
        try:
            self.job.until_every_rank_logged(nproc, steps, 180)
            self.run_id, _group, pid = self.job.runs[rank]
            self.logged = self.job.logged[rank]
            self.killed_at = time.time()
            os.kill(pid, signal.SIGKILL)
        except Exception as err:  # noqa: BLE001 (raised again by wait())
            self._error = err

    def wait(self):
        """Waits for the kill; raises what kept it from happening."""
        self._thread.join(200)
        if self._error is not None:
            raise self._error
        assert self.killed_at is not None, "no kill within 200 s:\n" + self.job.text()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
