"""Resident memory of this process, as the benches print it.

The bench scripts run as `python bench/NAME.py` (from the briefbot venv, or `.venv-llama` for
`llama_brief.py`), so this directory is on their path and they import it as `rss`.
"""

from __future__ import annotations

import os
import resource

GIB = 2**30


def rss_now() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / GIB


def rss_peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB
