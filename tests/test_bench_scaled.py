"""bench/scaled.py's queue figure, run for real (its own PostgreSQL, a real worker): an
article that failed is counted as failed, with its reason, and never as a brief. Last
session's packaged-model run had every article time out, and the bench would have printed
the timeouts as throughput."""

from __future__ import annotations

import pytest
from pg_server import why_not
from support import run_bench


@pytest.mark.skipif(why_not() is not None, reason=f"needs PostgreSQL: {why_not()}")
def test_a_timed_out_article_is_failed_not_a_brief(tmp_path):
    # a deadline no article can meet: reading alone (spaCy in a worker thread) takes longer
    run = run_bench(
        "scaled.py",
        "--model=none",
        "--workers=1",
        "--articles=2",
        "--trickle=0",
        "--warmup=0",
        "--deadline=0.001",
        "--skip-briefings",
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (figure,) = [line for line in run.stdout.splitlines() if line.startswith("queue,")]
    assert "0 done, 2 failed (2 x reading the article took too long)" in figure
    assert "no briefs/min" in figure
