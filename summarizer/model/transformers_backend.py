"""The in-process `TextGenerator`: a transformers causal LM, tuned for a small CPU.

What made it fast enough on 2 cores (figures in bench/model.py's output):
- int8 dynamic quantisation of every Linear: decoding is memory-bound, and int8 weights
  halve the bytes read per token against bf16 (and use the CPU's VNNI int8 dot products);
- batching: the stance prompts of one article decode together, so one pass over the
  weights serves every speaker;
- prompts sorted by length and batched only with neighbours of similar length, so left
  padding does not waste prefill.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from summarizer.model.base import ChatMessage, GenerationInterrupted

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


class TransformersGenerator:
    """One model, one lock: callers may share the instance across threads."""

    def __init__(self, model, tokenizer, name: str, *, max_batch: int = 8) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
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

    def _groups(self, lengths: list[int]) -> list[list[int]]:
        """Indices batched with neighbours of similar length (≤ 1.5× the shortest)."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        groups: list[list[int]] = []
        for i in order:
            g = groups[-1] if groups else None
            if g and len(g) < self.max_batch and lengths[i] <= 1.5 * lengths[g[0]] + 16:
                g.append(i)
            else:
                groups.append([i])
        return groups

    def generate(
        self, conversations: Sequence[Sequence[ChatMessage]], *, max_new_tokens: int
    ) -> list[str]:
        import torch

        prompts = [self.render(c) for c in conversations]
        ids = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        results: list[str] = [""] * len(prompts)
        stats = GenerationStats()
        with self._lock, torch.inference_mode():
            self._interrupt.clear()
            for group in self._groups([len(x) for x in ids]):
                batch = self.tokenizer.pad(
                    {"input_ids": [ids[i] for i in group]}, return_tensors="pt"
                )
                batch = batch.to(self.model.device)
                stats.batches.append(len(group))
                out = self._generate(batch, max_new_tokens, stats)
                width = batch["input_ids"].shape[1]
                for row, i in enumerate(group):
                    results[i] = self.tokenizer.decode(
                        out[row, width:], skip_special_tokens=True
                    ).strip()
        self.last_stats = stats
        return results

    def _generate(self, batch, max_new_tokens: int, stats: GenerationStats):
        """Greedy decoding; the first token is timed apart so prefill and decode separate."""
        from transformers import StoppingCriteria, StoppingCriteriaList

        marks: list[float] = []
        interrupt = self._interrupt

        class _Clock(StoppingCriteria):
            """Times each step, and ends the generation when `interrupt()` was called."""

            def __call__(self, input_ids, scores, **kwargs):
                marks.append(time.perf_counter())
                return interrupt.is_set()

        t0 = time.perf_counter()
        out = self.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id,
            stopping_criteria=StoppingCriteriaList([_Clock()]),
        )
        if interrupt.is_set():
            raise GenerationInterrupted("generation interrupted")
        end = time.perf_counter()
        first = marks[0] if marks else end
        stats.prompt_tokens += int(batch["attention_mask"].sum())
        stats.new_tokens += int((out.shape[1] - batch["input_ids"].shape[1]) * out.shape[0])
        stats.prefill_s += first - t0
        stats.decode_s += end - first
        return out


def load_transformers(
    source: str, *, name: str, threads: int = 0, precision: Precision = "auto",
    offline: bool = True,
) -> TransformersGenerator:
    """Load a directory or hub id; `auto` means int8 on CPU and bf16 on a GPU."""
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
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    model.eval()
    if precision == "int8":
        model = quantize_int8(model)
    elif cuda:
        model = model.to("cuda")
    return TransformersGenerator(model, tokenizer, f"{name} [{precision}]")
