"""Loading a transformers model for the in-process generator: from a directory or hub id,
in the precision the hardware suits, through the kept int8 snapshot when there is one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from summarizer.model.quantize import load_snapshot, quantize_int8, save_snapshot, snapshot_path
from summarizer.model.transformers_backend import TransformersGenerator

Precision = Literal["auto", "int8", "bf16", "fp32"]


def load_transformers(
    source: str,
    *,
    name: str,
    threads: int = 0,
    precision: Precision = "auto",
    offline: bool = True,
    cache_dir: Path | None = None,
) -> TransformersGenerator:
    """Load a directory or hub id; `auto` means int8 on CPU and bf16 on a GPU.

    With `cache_dir`, the int8 model is kept there after its first quantisation: loading
    bf16 and quantising took ~40 s and peaked at 6.9 GiB; the kept one loads in ~17 s and
    never holds a bf16 copy.
    """
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    cuda = torch.cuda.is_available()
    if precision == "auto":
        precision = "bf16" if cuda else "int8"
    dtype = torch.float32 if precision == "fp32" else torch.bfloat16
    tokenizer = AutoTokenizer.from_pretrained(source)
    snapshot = snapshot_path(source, cache_dir) if precision == "int8" and cache_dir else None
    model = load_snapshot(snapshot) if snapshot and snapshot.is_dir() else None
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        model.eval()
        if precision == "int8":
            model = quantize_int8(model)
            if snapshot:
                save_snapshot(model, snapshot)
        elif cuda:
            # transformers wraps `to` with functools.wraps, which typeshed types as unbound
            model = model.to("cuda")  # type: ignore[arg-type]
    return TransformersGenerator(model, tokenizer, f"{name} [{precision}]")
