"""bench/gpu_brief.py runs here as the device run will there, on the CPU with the tiny
model: the one prepared command for a GPU session must not fail on a typo after its
machine's minutes have started."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_gpu_brief_bench_runs_on_the_cpu_with_the_tiny_model(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gpu_brief.py"),
            "--device=cpu",
            "--tiny",
            "--compile-backend=eager",
            "--modes=fp32,bf16-compiled",
            "--repeats=1",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if " brief " in line}
    assert set(lines) == {"fp32", "bf16-compiled"}
    for line in lines.values():
        seconds = float(re.search(r"brief +([\d.]+) s", line)[1])  # type: ignore[index]
        assert seconds > 0 and "tok/s" in line and "ms/step" in line
