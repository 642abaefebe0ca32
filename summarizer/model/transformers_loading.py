"""Loading a transformers model for the in-process generator: from a directory or hub id,
in the precision the hardware suits, through the kept int8 snapshot when there is one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from summarizer.model.heap import release_freed_heap
from summarizer.model.packaged import GGUF_NAME, ModelSetupError, gguf_state
from summarizer.model.quantize import (
    int8_linear,
    load_snapshot,
    quantize_int8,
    save_snapshot,
    snapshot_path,
)
from summarizer.model.transformers_backend import Decode, TransformersGenerator

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

Precision = Literal["auto", "int8", "bf16", "fp32"]
Device = Literal["cpu", "cuda"]


class LocalOptions(BaseModel):
    """How the in-process model runs; bot/settings.py fills it from BRIEFBOT_MODEL_*. The
    defaults are the embedded shape's: a CPU, int8, the dynamic decode loop."""

    model_config = ConfigDict(frozen=True)

    device: Device = "cpu"
    precision: Precision = "auto"  # int8 on a CPU, bf16 on a GPU
    decode: Decode = "dynamic"  # `transformers_backend`: static and compiled are for a GPU


def load_transformers(
    source: str,
    *,
    name: str,
    threads: int = 0,
    precision: Precision = "auto",
    device: Device = "cpu",
    decode: Decode = "dynamic",
    offline: bool = True,
    cache_dir: Path | None = None,
) -> TransformersGenerator:
    """Load a directory or hub id onto `device`; `auto` means int8 on a CPU and bf16 on a
    GPU. `decode`: how `TransformersGenerator` decodes (static shapes and compiling pay on a
    GPU only).

    With `cache_dir`, the int8 model is kept there after its first quantisation: loading
    bf16 and quantising took ~40 s and peaked at 6.9 GiB; the kept one loads in ~17 s and
    never holds a bf16 copy. A converted GGUF directory is quantised straight from its GGUF.
    """
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    if precision == "auto":
        precision = "bf16" if device == "cuda" else "int8"
    if precision == "int8" and device != "cpu":
        raise ModelSetupError(
            "BRIEFBOT_MODEL_PRECISION=int8 runs on a CPU only (dynamic quantisation); on a GPU"
            " use bf16"
        )
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelSetupError("BRIEFBOT_MODEL_DEVICE=cuda, but torch sees no GPU here")
    dtype = torch.float32 if precision == "fp32" else torch.bfloat16
    tokenizer = AutoTokenizer.from_pretrained(source)
    snapshot = snapshot_path(source, cache_dir) if precision == "int8" and cache_dir else None
    model = load_snapshot(snapshot) if snapshot and snapshot.is_dir() else None
    if model is None:
        gguf = Path(source) / GGUF_NAME
        if gguf.is_file():
            model = model_from_gguf(source, gguf, dtype=dtype, int8=precision == "int8")
        else:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        model.eval()
        if precision == "int8":
            model = quantize_int8(model)
            if snapshot:
                save_snapshot(model, snapshot)
        elif device != "cpu":
            # transformers wraps `to` with functools.wraps, which typeshed types as unbound
            model = model.to(device)  # type: ignore[arg-type]
    label = precision if device == "cpu" else f"{precision}, {device}"
    if decode != "dynamic":
        label += f", {decode}"
    return TransformersGenerator(model, tokenizer, f"{name} [{label}]", decode=decode)


@contextmanager
def _parameters_on_meta() -> Iterator[None]:
    """Every parameter created inside goes to the meta device as it is registered: no memory
    and no random initialisation for weights that the GGUF is about to give. Buffers stay
    real, since a model computes some (rotary tables) when built and no checkpoint holds them;
    `torch.device("meta")` would leave those empty."""
    import torch

    register = torch.nn.Module.register_parameter

    def on_meta(self: torch.nn.Module, name: str, param: torch.nn.Parameter | None) -> None:
        if param is not None:
            param = torch.nn.Parameter(param.to("meta"), requires_grad=False)
        register(self, name, param)

    torch.nn.Module.register_parameter = on_meta  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.nn.Module.register_parameter = register  # type: ignore[method-assign]


def model_from_gguf(source: str, gguf: Path, *, dtype: torch.dtype, int8: bool) -> PreTrainedModel:
    """The model of a converted GGUF directory, its weights read from the GGUF one tensor at
    a time into a skeleton that holds none, each Linear made int8 as soon as its weight and
    bias are in when `int8`: the peak is the finished model plus one dequantised tensor, never
    a bf16 copy of the whole model. Outputs are those of quantising the bf16 model, as the
    same bf16 values reach the same quantiser (`quantize_int8` finishes the model)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(source)
    with _parameters_on_meta():
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    linears = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    waiting: dict[str, dict[str, torch.Tensor]] = {}  # a Linear's weight or bias until both are in
    for name, tensor in gguf_state(gguf, model):
        owner, _, kind = name.rpartition(".")
        if int8 and owner in linears:
            parts = waiting.setdefault(owner, {})
            parts[kind] = tensor
            if len(parts) == (1 if linears[owner].bias is None else 2):
                model.set_submodule(owner, int8_linear(parts["weight"], parts.get("bias")))
                del waiting[owner]
        else:
            holder = model.get_submodule(owner)
            if kind in holder._buffers:
                holder._buffers[kind] = tensor.to(dtype)
            else:
                holder._parameters[kind] = torch.nn.Parameter(tensor.to(dtype), requires_grad=False)
        del tensor
        release_freed_heap()  # the bf16 matrix and its temporaries, between the int8 ones kept
    if config.tie_word_embeddings:
        model.tie_weights()  # the output head is the embedding, which the GGUF gave once
    missing = [n for n, p in model.named_parameters() if p.is_meta] + sorted(waiting)
    if missing:
        raise ModelSetupError(
            f"{gguf.resolve().name}: weights missing for {config.model_type}: {missing[:2]}"
        )
    return model
