"""Run one measured task in a fresh Python process and read its peak memory.

Each import runs alone in a child (``python -m benchmarks.child TASK IN OUT``)
that times its own work and writes a JSON result. Peak memory is the child's
``VmHWM`` (high-water resident set of its address space), read by the child
as it finishes. ``ru_maxrss`` from ``wait4``/``RUSAGE_CHILDREN`` is not used:
Linux carries the parent's high-water mark across fork and exec, so a small
child of a 500 MB parent reports 500 MB. CPU time does come from ``wait4``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ChildResult",
    "code_digest",
    "peak_rss_mb",
    "run_child",
    "wait_with_rusage",
]

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ChildResult:
    """What a task returned, plus what the parent saw of the process."""

    result: dict[str, Any]
    peak_rss_mb: float
    wall_s: float
    cpu_s: float
    returncode: int


def peak_rss_mb(pid: int | str = "self") -> float:
    """The high-water resident set (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def code_digest() -> str:
    """A short digest of the code under test (esperia's ingest, store and API).

    The ingest code changes while benchmarks run; each result says which
    version produced it.
    """
    import hashlib

    digest = hashlib.sha256()
    for folder in ("esperia/ingest", "esperia/store", "esperia/api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def wait_with_rusage(
    proc: subprocess.Popen[Any], timeout: float
) -> tuple[int, Any] | None:
    """Reap ``proc`` and return (status, rusage); None if it outlives ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def run_child(task: str, params: dict[str, Any], timeout: float = 900) -> ChildResult:
    """Run ``task`` (``module:function`` in this package) with ``params``."""
    with tempfile.TemporaryDirectory(prefix="esperia-bench-") as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(params, default=str))
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.child", task, str(inp), str(out)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        reaped = wait_with_rusage(proc, timeout)
        wall = time.perf_counter() - started
        if reaped is None:
            proc.kill()
            reaped = wait_with_rusage(proc, 30) or (-9, None)
            result: dict[str, Any] = {"error": f"timed out after {timeout:.0f}s"}
        elif out.is_file():
            result = json.loads(out.read_text())
        else:
            result = {"error": f"the child exited with {reaped[0]} and no result"}
        code, usage = reaped
    rss = float(result.pop("_peak_rss_mb", float("nan")))
    cpu = usage.ru_utime + usage.ru_stime if usage is not None else float("nan")
    return ChildResult(result, rss, wall, cpu, code)


def _main(argv: list[str]) -> int:
    task, inp, out = argv
    module_name, func_name = task.split(":")
    params = json.loads(Path(inp).read_text())
    try:
        module = importlib.import_module(f"benchmarks.{module_name}")
        result = getattr(module, func_name)(params)
    except Exception:
        result = {"error": traceback.format_exc(limit=8)}
    result["_peak_rss_mb"] = peak_rss_mb()
    result["code"] = code_digest()
    Path(out).write_text(json.dumps(result, default=str))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
