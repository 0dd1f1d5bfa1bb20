"""What ends runs when the process ends: normal exit (0), an uncaught exception (1), SIGTERM (preempted)."""

import atexit
import os
import signal
import sys
import threading
import traceback

_runs = []
_state = {"exception": "", "sigterm_installed": False}
_previous_excepthook = sys.excepthook


def track(run):
    _runs.append(run)


def untrack(run):
    if run in _runs:
        _runs.remove(run)


def _excepthook(exc_type, exc, tb):
    _state["exception"] = "".join(traceback.format_exception(exc_type, exc, tb))
    _previous_excepthook(exc_type, exc, tb)


@atexit.register
def _finish_all():
    error = _state["exception"] or None
    for run in list(_runs):
        try:
            run._finish(1 if error else 0, error)
        except Exception as err:  # noqa: BLE001 - exit goes on
            sys.stderr.write("cohort: error: finishing run {} at exit failed: {}\n".format(run.id, err))


def watch_sigterm():
    """Hands SIGTERM to the agent's SDK for each run (when nobody else handles SIGTERM), then dies of it as before."""
    if _state["sigterm_installed"] or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    _state["sigterm_installed"] = True


def _on_sigterm(signum, frame):
    del frame
    for run in list(_runs):
        try:
            run._terminate()
        except Exception as err:  # noqa: BLE001
            sys.stderr.write("cohort: error: ending run {} on SIGTERM failed: {}\n".format(run.id, err))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _state["sigterm_installed"] = False
    os.kill(os.getpid(), signum)


def _after_fork_in_child():
    # A forked child (a DataLoader worker) must neither log into nor finish its parent's runs.
    for run in _runs:
        run._forked()
    _runs.clear()


sys.excepthook = _excepthook
os.register_at_fork(after_in_child=_after_fork_in_child)
