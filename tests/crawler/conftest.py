"""Fixtures of the crawler tests: a private redis-server on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from crawl_helpers import free_port


@pytest.fixture(scope="session")
def redis_url():
    """A private redis-server on 127.0.0.1 (skips without one, fails under CI=true)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt install redis-server, or make sysdeps)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — and CI=true, where it must be")
        pytest.skip(message)
    import redis

    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
