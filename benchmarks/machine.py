"""The machine a benchmark ran on, as one line for its printed figures."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine() -> str:
    """Cores, CPU model, RAM and Python version (what /proc says, where it exists)."""
    cpu = _proc_value("/proc/cpuinfo", "model name") or "unknown CPU"
    memory = _proc_value("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024 / 1024:.0f} GiB RAM" if memory else "unknown RAM"
    return f"{os.cpu_count()} cores ({cpu}), {ram}, Python {platform.python_version()}"
