"""The in-process `TextGenerator`: a transformers causal LM, tuned for a small CPU.

What made it fast enough on 2 cores (figures in bench/model.py's output):
- int8 dynamic quantisation of every Linear: decoding is memory-bound, and int8 weights
  halve the bytes read per token against bf16; on a CPU without AVX-512 bf16 (this one),
  bf16 matmuls ran at 7 prompt tokens/s against int8's 67-88;
- batching: the prompts of one brief decode together, so one pass over the weights
  serves every speaker;
- a shared prefix: the prompts of one call share their opening (system message, rules),
  which is run through the model once and its cache reused by every row, the rows padded
  in the middle (prefix, padding, own part) so positions stay right;
- grouping by a cost model: padding a short prompt to a long one wastes prefill, but each
  extra group is one more full decode run, which costs more on a CPU than a few hundred
  padded tokens.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from summarizer.model.base import ChatMessage, GenerationInterrupted

log = logging.getLogger(__name__)

Precision = Literal["auto", "int8", "bf16", "fp32"]


@dataclass
class GenerationStats:
    """What the last `generate` call cost; the benchmark reads it, nothing else depends on it."""

    prompt_tokens: int = 0
    new_tokens: int = 0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    batches: list[int] = field(default_factory=list)


def _int8_linear(linear):
    """Per-output-channel symmetric int8: a per-tensor scale lets one outlier row flatten the
    rest, which garbled the packaged model's words; per-channel keeps its output intact."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    weight = linear.weight.detach().float()
    scale = (weight.abs().amax(dim=1).clamp(min=1e-8) / 127).double()
    zero = torch.zeros(weight.shape[0], dtype=torch.long)
    qweight = torch.quantize_per_channel(weight, scale, zero, 0, torch.qint8)
    bias = None if linear.bias is None else linear.bias.detach().float()
    out = DynamicInt8Linear(
        linear.in_features, linear.out_features, bias_=bias is not None, dtype=torch.qint8
    )
    out.set_weight_bias(qweight, bias)
    return out


def quantize_int8(model):
    """Swap every Linear for a dynamically quantised int8 one, one at a time.

    One at a time keeps the peak near the bf16 model plus a single fp32 matrix instead of a
    whole fp32 copy. The embedding stays a float table (a lookup reads one row).
    """
    import torch

    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
        for name in names:  # by name, so each bf16 matrix is freed as soon as it is replaced
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, attr, _int8_linear(getattr(parent, attr)))
    model.float()  # what is left: embedding, norms, rotary tables
    model.config.tie_word_embeddings = False
    return model


# Shared prefixes shorter than this are run per row: a cache copy is not worth it.
MIN_SHARED_PREFIX = 16
# What one more group costs, in prompt tokens of prefill: on this 2-core CPU one decode run
# of ~40 steps at batch 8 (~8 s) costs about what 600 prompt tokens do (~13 ms each).
GROUP_COST_TOKENS = 600


def shared_prefix(ids: Sequence[Sequence[int]]) -> int:
    """Length of the common token prefix, leaving every row at least one token of its own."""
    if len(ids) < 2:
        return 0
    n = 0
    limit = min(len(x) for x in ids) - 1
    while n < limit and all(x[n] == ids[0][n] for x in ids):
        n += 1
    return n if n >= MIN_SHARED_PREFIX else 0


def cheapest_groups(lengths: Sequence[int], max_batch: int) -> list[list[int]]:
    """Indices split into batches of similar length, minimising padded prompt tokens plus
    GROUP_COST_TOKENS per batch (a small dynamic programme over the sorted lengths)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[j]: cost of the first j sorted rows
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - max_batch), j):
            cost = best[i] + (j - i) * lengths[order[j - 1]] + GROUP_COST_TOKENS
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups: list[list[int]] = []
    j = n
    while j:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return groups[::-1]


class TransformersGenerator:
    """One model, one lock: callers may share the instance across threads."""

    def __init__(self, model, tokenizer, name: str, *, max_batch: int = 16) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
        self.share_prefix = True
        self.last_stats = GenerationStats()
        self._lock = threading.Lock()
        self._interrupt = threading.Event()
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"

    def interrupt(self) -> None:
        self._interrupt.set()

    def render(self, conversation: Sequence[ChatMessage]) -> str:
        return self.tokenizer.apply_chat_template(
            list(conversation), tokenize=False, add_generation_prompt=True
        )

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
    ) -> list[str]:
        import torch

        limits = (
            [max_new_tokens] * len(conversations)
            if isinstance(max_new_tokens, int)
            else list(max_new_tokens)
        )
        prompts = [self.render(c) for c in conversations]
        ids = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        results: list[str] = [""] * len(prompts)
        stats = GenerationStats()
        with self._lock, torch.inference_mode():
            self._interrupt.clear()
            shared = shared_prefix(ids) if self.share_prefix else 0
            prefix_cache = self._prefill(ids[0][:shared], stats) if shared else None
            own = [len(x) - shared for x in ids]
            for group in cheapest_groups(own, self.max_batch):
                width = max(own[i] for i in group)
                pad = self.tokenizer.pad_token_id
                rows = [ids[i][:shared] + [pad] * (width - own[i]) + ids[i][shared:] for i in group]
                mask = [[1] * shared + [0] * (width - own[i]) + [1] * own[i] for i in group]
                cache = None
                if prefix_cache is not None:
                    cache = copy.deepcopy(prefix_cache)
                    cache.batch_repeat_interleave(len(group))
                stats.batches.append(len(group))
                stats.prompt_tokens += sum(own[i] for i in group)
                out = self._generate(
                    torch.tensor(rows, device=self.model.device),
                    torch.tensor(mask, device=self.model.device),
                    cache,
                    [limits[i] for i in group],
                    stats,
                )
                start = shared + width
                for row, i in enumerate(group):  # past its limit a row holds padding or junk
                    results[i] = self.tokenizer.decode(
                        out[row, start : start + limits[i]], skip_special_tokens=True
                    ).strip()
        self.last_stats = stats
        return results

    def _prefill(self, prefix: list[int], stats: GenerationStats):
        """The shared prefix's cache, computed once for every row of the call."""
        import torch
        from transformers import DynamicCache

        started = time.perf_counter()
        cache = DynamicCache(config=self.model.config)
        self.model(
            torch.tensor([prefix], device=self.model.device),
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        stats.prompt_tokens += len(prefix)
        stats.prefill_s += time.perf_counter() - started
        return cache

    def _generate(self, input_ids, attention_mask, cache, limits: list[int], stats):
        """Greedy decoding; the first token is timed apart so prefill and decode separate."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        marks: list[float] = []
        interrupt = self._interrupt
        width = input_ids.shape[1]
        row_limits = torch.tensor(limits, device=input_ids.device)

        class _Clock(StoppingCriteria):
            """Times each step, ends each row at its own limit, and ends the generation
            when `interrupt()` was called."""

            def __call__(self, input_ids, scores, **kwargs):
                marks.append(time.perf_counter())
                if interrupt.is_set():
                    return torch.ones_like(row_limits, dtype=torch.bool)
                return row_limits <= input_ids.shape[1] - width

        t0 = time.perf_counter()
        out = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            past_key_values=cache,
            max_new_tokens=max(limits),
            do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id,
            stopping_criteria=StoppingCriteriaList([_Clock()]),
        )
        if interrupt.is_set():
            raise GenerationInterrupted("generation interrupted")
        end = time.perf_counter()
        first = marks[0] if marks else end
        stats.new_tokens += int((out.shape[1] - input_ids.shape[1]) * out.shape[0])
        stats.prefill_s += first - t0
        stats.decode_s += end - first
        return out


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


def _layer_list_name(model) -> str | None:
    """The decoder's stack of layers: the longest ModuleList in the model."""
    import torch

    lists = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.ModuleList)]
    return max(lists, key=lambda nm: len(nm[1]))[0] if lists else None


def _save_snapshot(model, path: Path) -> None:
    """The int8 model as one pickle per layer plus one for the rest, so that loading it
    holds one layer's file at a time, never a second copy of the whole model. Best effort:
    a failed write (disk full) only costs the next start its 40 s."""
    import torch

    name = _layer_list_name(model)
    if name is None:
        return
    layers = model.get_submodule(name)
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


def _load_snapshot(path: Path):
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
    model = _load_snapshot(snapshot) if snapshot and snapshot.is_dir() else None
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        model.eval()
        if precision == "int8":
            model = quantize_int8(model)
            if snapshot:
                _save_snapshot(model, snapshot)
        elif cuda:
            model = model.to("cuda")
    return TransformersGenerator(model, tokenizer, f"{name} [{precision}]")
