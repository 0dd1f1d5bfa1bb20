"""The Python client's figures, driven by bench/python-client.mjs (which prints the tables).

    python3 bench/python_client.py caller   # log() on the caller's turn vs json.dumps + pipe write
    python3 bench/python_client.py e2e      # points/s from log() to committed (COHORT_URL)

Prints one JSON line of results.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

import cohort  # noqa: E402

BATCH = 1000


def rows(keys, count):
    """Dicts shaped like a training script's literals, ``{"metric_0": ..., ...}``."""
    import math

    return [{"metric_{}".format(k): math.sin(i + k) * 100 for k in range(keys)} for i in range(count)]


def caller(calls):
    data = rows(10, BATCH)
    with tempfile.TemporaryDirectory() as tmp:
        run = cohort.init(project="bench", mode="offline", dir=tmp, settings={"silent": True})
        per_call = []
        for _ in range(calls // BATCH):
            t0 = time.perf_counter_ns()
            for row in data:
                run.log(row)
            per_call.append((time.perf_counter_ns() - t0) / BATCH)
            time.sleep(0)  # a training loop gives the flush thread a turn between steps
        t0 = time.perf_counter()
        run.finish()
        finish_s = time.perf_counter() - t0
    # The raw baseline: each row as JSON written to a pipe that another process drains.
    sink = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    fd = sink.stdin.fileno()
    raw = []
    dumps = json.dumps
    write = os.write
    for _ in range(calls // BATCH):
        t0 = time.perf_counter_ns()
        for row in data:
            write(fd, dumps(row).encode())
        raw.append((time.perf_counter_ns() - t0) / BATCH)
    sink.stdin.close()
    sink.wait()
    return {"log_ns": statistics.median(per_call), "raw_ns": statistics.median(raw), "finish_s": finish_s}


def e2e(steps, keys):
    data = rows(keys, BATCH)
    with tempfile.TemporaryDirectory() as tmp:
        run = cohort.init(project="bench", dir=tmp, settings={"silent": True})
        t0 = time.perf_counter()
        for step in range(steps):
            run.log(data[step % BATCH])
        run.finish()
        seconds = time.perf_counter() - t0
    return {"points_per_s": steps * keys / seconds, "seconds": seconds}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "caller":
        print(json.dumps(caller(int(os.environ.get("CALLS", "200000")))))
    elif what == "e2e":
        print(json.dumps(e2e(int(os.environ.get("STEPS", "100000")), int(os.environ.get("KEYS", "20")))))
    else:
        raise SystemExit("usage: python_client.py caller|e2e")
