"""Helpers shared by the benchmarks: sizes, timestamps, JSON results, load, peak RSS, the machine."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


DATA = ROOT / "benchmarks" / "data"


MB = 1_000_000


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '250k' -> 250_000, '1500000' -> 1_500_000."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(rows: int) -> str:
    for factor, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if rows >= factor and rows % (factor // 10) == 0:
            value = rows / factor
            return f"{value:g}{suffix}"
    return str(rows)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def write_json(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


class PeakRSS:
    """Samples the RSS of this process and (optionally) its children, with a peak per phase."""

    def __init__(self, children: bool = False, interval: float = 0.05) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        self._children = children
        self._kids: list = []
        self._kids_at = 0.0
        self.interval = interval
        self.peak = 0
        self.phase_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def current(self) -> int:
        rss = self._proc.memory_info().rss
        if self._children:
            now = time.monotonic()
            if now - self._kids_at > 1.0:
                try:
                    self._kids = self._proc.children(recursive=True)
                except self._psutil.Error:
                    self._kids = []
                self._kids_at = now
            for kid in self._kids:
                try:
                    rss += kid.memory_info().rss
                except self._psutil.Error:
                    pass
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.current()
            self.peak = max(self.peak, rss)
            self.phase_peak = max(self.phase_peak, rss)

    def start_phase(self) -> None:
        self.phase_peak = self.current()

    def end_phase(self) -> float:
        """The phase's peak RSS in MB."""
        rss = self.current()
        self.phase_peak = max(self.phase_peak, rss)
        self.peak = max(self.peak, self.phase_peak)
        return round(self.phase_peak / MB, 1)

    def close(self) -> dict:
        self._stop.set()
        self._thread.join()
        self_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KB on Linux
        kids_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        return {"sampled_peak_mb": round(self.peak / MB, 1),
                "process_maxrss_mb": round(self_max / MB, 1),
                "reaped_children_maxrss_mb": round(kids_max / MB, 1),
                "peak_rss_mb": round(max(self.peak, self_max) / MB, 1)}


def machine() -> dict:
    import psutil

    versions = {}
    for module in ("duckdb", "ibis", "pyspark", "pyarrow", "psutil"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - optional
            versions[module] = None
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    except OSError:
        java = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = sorted(line[3:] for line in subprocess.run(
            ["git", "status", "--porcelain", "--", "partnerscore"], capture_output=True, text=True,
            cwd=ROOT).stdout.splitlines() if line.strip())
    except OSError:
        commit, dirty = None, None
    memory = psutil.virtual_memory()
    return {"cpus": os.cpu_count(), "memory_total_gb": round(memory.total / 1e9, 1),
            "memory_available_gb_at_start": round(memory.available / 1e9, 1),
            "platform": platform.platform(), "python": platform.python_version(), "java": java,
            "versions": versions, "git_commit": commit, "uncommitted_changes_in_partnerscore": dirty,
            "spark_driver_memory_env": os.environ.get("PARTNERSCORE_SPARK_DRIVER_MEMORY")}
