"""A real Dask cluster on loopback for the scale tests and the million-document benchmark:
``dask scheduler --host 127.0.0.1 --port 0`` and single-threaded ``dask worker`` processes (no
nanny, so a worker's peak memory is its own), started fresh and stopped after."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _wait_for(predicate, timeout: float, what: str, procs) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: process {p.args} exited with {p.returncode}")
        time.sleep(0.2)
    raise TimeoutError(f"{what} within {timeout} s")


@contextlib.contextmanager
def local_dask_cluster(base: Path, workers: int = 2):
    """Yields ``{"address": "tcp://127.0.0.1:…", "scheduler_file": Path, "worker_pids": set}``;
    the processes' logs are in ``base``."""
    base.mkdir(parents=True, exist_ok=True)
    scheduler_file = base / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs: list[subprocess.Popen] = []

    def start(args, log_name):
        log = open(base / log_name, "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=REPO, env=env,
                                      stdout=log, stderr=subprocess.STDOUT))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(scheduler_file)], "scheduler.log")
        _wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size > 0, 60,
                  "the Dask scheduler did not write its scheduler file", procs)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(workers):
            name = f"w{i + 1}"
            start(["worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                   "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name,
                   "--local-directory", str(base / name), "--memory-limit", "0"], f"{name}.log")
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)
            worker_pids = set(client.run(os.getpid).values())
        yield {"address": address, "scheduler_file": scheduler_file, "worker_pids": worker_pids}
    finally:
        for proc in reversed(procs):  # workers first, then the scheduler
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
