"""Linears that read the same input, fused into one int8 matmul at load time.

Each int8 linear call pays a fixed cost besides reading its weights (quantising its input,
fbgemm's setup, a module call): a decoder layer's small key and value projections (256 x
1536) read theirs at 8.8 GB/s against the large ones' 27-29 (2 threads, bench/bandwidth.py).
A layer's query, key and value projections read the same input, and so do its MLP's gate
and up projections: fused, a step makes 4 int8 calls a layer instead of 7 (one thread, 28
layers in turn: q/k/v 13.3 ms a step against 8.6-10.4 fused, gate/up 66-73 against 61-66).

The outputs are the same numbers: the input is quantised once either way (with the same
scale, from the same tensor), each output row keeps its own int8 weights, scale and bias,
and its integer dot product is exact whatever the matrix around it. The kept model on
disk stays unfused; fusing takes each layer's weights as they are.

Imported only where torch is (the backend's heavy imports are lazy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

# the linears of a transformers decoder layer (Llama, Qwen2 and kin) that read one input
SAME_INPUT = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


def fused_linear(linears: Sequence[DynamicInt8Linear]) -> DynamicInt8Linear:
    """One int8 linear whose output is the outputs of `linears` side by side."""
    weights = [linear.weight() for linear in linears]
    qweight = torch._make_per_channel_quantized_tensor(
        torch.cat([w.int_repr() for w in weights]),
        torch.cat([w.q_per_channel_scales() for w in weights]),
        torch.cat([w.q_per_channel_zero_points() for w in weights]),
        0,
    )
    biases = [linear.bias() for linear in linears]
    bias = None if any(b is None for b in biases) else torch.cat(biases)
    out_features, in_features = qweight.shape
    fused = DynamicInt8Linear(in_features, out_features, bias_=bias is not None, dtype=torch.qint8)
    fused.set_weight_bias(qweight, bias)
    return fused


class SharedOutput:
    """A fused linear whose parts are asked for one by one (transformers' attention calls
    its q, k and v projections in turn): the first part asked for an input computes them
    all, the others take theirs from that result, which is let go once all are taken."""

    def __init__(self, linear: DynamicInt8Linear, widths: Sequence[int]) -> None:
        self.linear, self.widths = linear, list(widths)
        self._input: torch.Tensor | None = None
        self._parts: list[torch.Tensor | None] = []

    def part(self, x: torch.Tensor, index: int) -> torch.Tensor:
        if x is not self._input or self._parts[index] is None:
            self._input = x
            self._parts = list(self.linear(x).split(self.widths, dim=-1))
        out, self._parts[index] = self._parts[index], None
        if all(p is None for p in self._parts):
            self._input = None
        assert out is not None
        return out


class PartOf(torch.nn.Module):
    """Stands where one of the fused linears stood, and gives its part of the output."""

    def __init__(self, shared: SharedOutput, index: int) -> None:
        super().__init__()
        self.shared, self.index = shared, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shared.part(x, self.index)


def fuse_projections(model: Any, groups: Sequence[Sequence[str]] = SAME_INPUT) -> int:
    """In every module of `model` holding all the int8 linears named in one of `groups`,
    replace them by parts of one fused linear. Returns how many fused linears were made."""
    made = 0
    for module in list(model.modules()):
        for names in groups:
            found = [getattr(module, name, None) for name in names]
            linears = [linear for linear in found if isinstance(linear, DynamicInt8Linear)]
            if len(linears) < len(names):
                continue
            fused = fused_linear(linears)
            shared = SharedOutput(fused, [linear.weight().shape[0] for linear in linears])
            module.add_module("fused_" + "_".join(names), fused)
            for index, name in enumerate(names):
                setattr(module, name, PartOf(shared, index))
            made += 1
    return made
