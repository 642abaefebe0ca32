"""int8 weights for a CPU, and the int8 model kept on disk between starts.

This is the part a torch upgrade replaces: it uses torch's dynamic int8 Linear
(`torch.ao.nn.quantized.dynamic`), which torch marks deprecated, and pickles the quantised
model whole, so a kept snapshot is only good for the torch and transformers versions that
wrote it (`snapshot_path` keys it by them).

Why int8 at all: decoding is memory-bound, and int8 weights halve the bytes read per token
against bf16; on a CPU without AVX-512 bf16 (this one), bf16 matmuls ran at 7 prompt
tokens/s against int8's 67-88 (bench/model.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # torch and transformers load lazily: importing this module stays cheap
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)


def int8_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> DynamicInt8Linear:
    """Per-output-channel symmetric int8: a per-tensor scale lets one outlier row flatten the
    rest, which garbled the packaged model's words; per-channel keeps its output intact."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    # the scales from the weight as given (abs and max are exact in bf16): an f32 temporary
    # the size of the output head would raise the peak of building the model by 0.9 GB
    scale = (weight.detach().abs().amax(dim=1).float().clamp(min=1e-8) / 127).double()
    weight = weight.detach().float()
    zero = torch.zeros(weight.shape[0], dtype=torch.long)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
        qweight = torch.quantize_per_channel(weight, scale, zero, 0, torch.qint8)
    bias = None if bias is None else bias.detach().float()
    out_features, in_features = weight.shape
    out = DynamicInt8Linear(in_features, out_features, bias_=bias is not None, dtype=torch.qint8)
    out.set_weight_bias(qweight, bias)
    return out


def quantize_int8(model: PreTrainedModel) -> PreTrainedModel:
    """Swap every Linear for a dynamically quantised int8 one, one at a time.

    One at a time keeps the peak near the bf16 model plus a single fp32 matrix instead of a
    whole fp32 copy. The embedding stays a float table (a lookup reads one row), in bf16:
    it is the one the model was given, and f32 doubled its 0.47 GB for nothing.
    """
    import torch

    from summarizer.model.embedding import Bf16Embedding

    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for name in names:  # by name, so each bf16 matrix is freed as soon as it is replaced
        linear = cast("torch.nn.Linear", model.get_submodule(name))  # found as one
        model.set_submodule(name, int8_linear(linear.weight, linear.bias))
    table = cast("torch.nn.Embedding", model.get_input_embeddings()).weight
    model.set_input_embeddings(Bf16Embedding(table))
    del table
    model.float()  # what is left: norms, rotary tables
    model.config.tie_word_embeddings = False
    return model


def snapshot_path(source: str, cache_dir: Path) -> Path:
    """Where the int8 model of `source` is kept, keyed by what makes a pickle stale: the
    source (and, for a directory, when its config last changed) and the library versions."""
    import torch
    import transformers

    config = Path(source) / "config.json"
    stamp = config.stat().st_mtime_ns if config.is_file() else ""
    key = f"{source}|{stamp}|{torch.__version__}|{transformers.__version__}"
    return Path(cache_dir).expanduser() / f"int8-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


LAYERS_FILE = "layers.txt"  # names the decoder's layer list inside the rest's pickle


def _layer_list_name(model: PreTrainedModel) -> str | None:
    """The decoder's stack of layers: the longest ModuleList in the model."""
    import torch

    lists = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.ModuleList)]
    return max(lists, key=lambda nm: len(nm[1]))[0] if lists else None


def save_snapshot(model: PreTrainedModel, path: Path) -> None:
    """The int8 model as one pickle per layer plus one for the rest, so that loading it
    holds one layer's file at a time, never a second copy of the whole model. Best effort:
    a failed write (disk full) only costs the next start its 40 s."""
    import torch

    name = _layer_list_name(model)
    if name is None:
        return
    layers = cast("torch.nn.ModuleList", model.get_submodule(name))  # found as one
    work = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    kept = list(layers)
    try:
        work.mkdir(parents=True, exist_ok=True)
        (work / LAYERS_FILE).write_text(name)
        for i, layer in enumerate(kept):
            torch.save(layer, work / f"layer-{i:03d}.pt")
        del layers[:]  # the rest is saved without them, then they are put back
        try:
            torch.save(model, work / "rest.pt")
        finally:
            layers.extend(kept)
        work.rename(path)
    except OSError as exc:
        log.warning("could not keep the int8 model at %s: %s", path, exc)
        shutil.rmtree(work, ignore_errors=True)


def load_snapshot(path: Path) -> PreTrainedModel | None:
    """The kept int8 model, or None if it cannot be read (then it is rebuilt).

    Pickle runs code: these files are ones briefbot wrote itself into the user's cache.
    """
    import torch

    try:
        with warnings.catch_warnings():
            # torch's own loader of quantised tensors trips its own deprecation notices
            warnings.filterwarnings("ignore", message=r"TypedStorage is deprecated")
            warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
            model = torch.load(path / "rest.pt", weights_only=False)
            layers = model.get_submodule((path / LAYERS_FILE).read_text())
            if not isinstance(layers, torch.nn.ModuleList):
                raise ValueError(f"{type(layers).__name__} where the layer list was")
            for file in sorted(path.glob("layer-*.pt")):
                layers.append(torch.load(file, weights_only=False))
            expected = getattr(model.config, "num_hidden_layers", len(layers))
            if len(layers) != expected:
                raise ValueError(f"{len(layers)} of {expected} layers")
    except Exception as exc:  # any unreadable, stale or incomplete snapshot: rebuild it
        log.warning("int8 model at %s is unreadable (%s); rebuilding it", path, exc)
        shutil.rmtree(path, ignore_errors=True)
        return None
    return model
