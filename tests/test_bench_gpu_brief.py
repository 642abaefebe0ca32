"""bench/gpu_brief.py runs here as the device run will there, on the CPU with the tiny
model: the one prepared command for a GPU session must not fail on a typo after its
machine's minutes have started."""

from __future__ import annotations

import re

from support import run_bench


def test_the_gpu_brief_bench_runs_on_the_cpu_with_the_tiny_model(tmp_path):
    run = run_bench(
        "gpu_brief.py",
        "--device=cpu",
        "--tiny",
        "--compile-backend=eager",
        "--modes=fp32,bf16-compiled",
        "--repeats=1",
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if " brief " in line}
    assert set(lines) == {"fp32", "bf16-compiled"}
    for line in lines.values():
        seconds = float(re.search(r"brief +([\d.]+) s", line)[1])  # type: ignore[index]
        assert seconds > 0 and "tok/s" in line and "ms/step" in line
