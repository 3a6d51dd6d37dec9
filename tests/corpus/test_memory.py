"""Per-process peak memory (zhengce.common.memory): VmHWM read per process, and stage reports that carry it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from zhengce.common.memory import ChildMonitor, MemoryReport, peak_rss_mb, rss_mb

linux = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                           reason="VmHWM needs Linux /proc; elsewhere only this process is known")


def _touch(n_bytes: int) -> bytearray:
    block = bytearray(n_bytes)
    for i in range(0, n_bytes, 4096):  # make every page resident
        block[i] = 1
    return block


@linux
def test_peak_grows_with_a_resident_allocation_and_stays_after_it_is_freed():
    # in a fresh process: this one's high-water mark may already be above anything we allocate
    script = textwrap.dedent("""
        import json
        from zhengce.common.memory import peak_rss_mb, rss_mb
        before = peak_rss_mb()
        block = bytearray(120 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        during, resident = peak_rss_mb(), rss_mb()
        del block
        print(json.dumps([before, during, resident, peak_rss_mb(), rss_mb()]))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))))).stdout
    before, during, resident, after, resident_after = json.loads(out)
    assert resident >= 120
    assert during - before >= 100               # the new high-water mark covers the 120 MB
    assert after == pytest.approx(during, abs=1.0)   # a high-water mark never falls ...
    assert resident_after < resident - 100            # ... while resident memory does


@linux
def test_a_process_that_does_not_exist_has_no_peak():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    assert peak_rss_mb(int(proc.stdout)) is None
    assert rss_mb(int(proc.stdout)) is None


@linux
def test_vmhwm_is_the_childs_own_peak_where_ru_maxrss_carries_the_parents():
    """Why the reports use VmHWM: a child exec'd from a 400 MB process reports >= 400 MB as
    ru_maxrss before doing anything; its VmHWM is its own."""
    script = textwrap.dedent(r"""
        import json, resource, subprocess, sys
        block = bytearray(400 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        child = ("import json, resource\n"
                 "hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
                 "print(json.dumps({'ru_maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
                 " 'vmhwm_mb': hwm / 1024}))")
        print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True).stdout)
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True,
                                    text=True, check=True).stdout)
    assert out["ru_maxrss_mb"] >= 400
    assert out["vmhwm_mb"] < 100


def test_report_keeps_each_processs_largest_peak_and_sums_them():
    report = MemoryReport.from_dict({
        "main_peak_mb": 300.0, "main_peak_set_before_stage": False,
        "processes": [{"role": "load", "host": "h", "pid": 1, "peak_mb": 300.0}]})
    report.add({"role": "load worker", "host": "h", "pid": 7, "peak_mb": 150.0})
    report.add({"role": "load worker", "host": "h", "pid": 7, "peak_mb": 210.0})
    report.add({"role": "load worker", "host": "h", "pid": 7, "peak_mb": 180.0})
    report.add({"role": "load worker", "host": "h", "pid": 8, "peak_mb": 190.0})
    report.add(None)
    assert report.max_worker_mb == 210.0
    assert report.sum_mb == 700.0
    assert [p["pid"] for p in report.workers] == [7, 8]
    assert report.line() == ("peak memory (VmHWM): main 300 MB; 2 workers 210 / 190 MB; "
                             "all processes <= 700 MB")
    again = MemoryReport.from_dict(report.as_dict())
    assert again.line() == report.line()
    assert again.as_dict()["n_workers"] == 2


def test_workers_on_two_hosts_are_said_and_unknown_peaks_are_not_guessed():
    report = MemoryReport.from_dict({"processes": [
        {"role": "client", "host": "a", "pid": 1, "peak_mb": 100.0},
        {"role": "shard worker", "host": "a", "pid": 2, "peak_mb": 50.0},
        {"role": "shard worker", "host": "b", "pid": 2, "peak_mb": None}]})
    assert report.line() == ("peak memory (VmHWM): main 100 MB; 2 workers on 2 hosts 50 / ? MB; "
                             "all processes <= 150 MB")


@linux
def test_a_stage_in_a_process_whose_peak_was_set_earlier_says_so():
    block = _touch(150 * 2**20)
    del block
    report = MemoryReport(main_role="topics")   # starts below the earlier 150 MB high-water mark
    report.finish()
    assert report.peak_set_before
    assert report.line().startswith("peak memory (VmHWM): main <= ")
    assert report.line().endswith("MB (peak set before this stage)")


@linux
def test_child_monitor_sees_a_child_processs_peak():
    code = ("b = bytearray(160 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
            "import time; time.sleep(0.6)")
    with ChildMonitor(interval=0.05, role="child") as monitor:
        proc = subprocess.Popen([sys.executable, "-c", code])
        assert proc.wait() == 0
    # (a child another test left running may be reported too: this one is found by its pid)
    (child,) = [w for w in monitor.report.workers if w["pid"] == proc.pid]
    assert child["role"].startswith("child:python")
    assert child["peak_mb"] >= 160
    assert monitor.report.main_peak_mb == pytest.approx(peak_rss_mb(), abs=5)
