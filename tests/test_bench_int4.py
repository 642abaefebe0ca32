"""bench/bandwidth.py --int4 packs weights for torch's int4 CPU kernel itself (the values two
a byte, each group's scale and zero as [in / group, out, 2]), and the kernel cannot tell a
misread layout: it runs at full speed on the wrong weights, and the bench would print error
figures for a product that never was. Its product must be fp32's for the weights the layout
describes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("group", [32, 128])
def test_weights_on_a_4bit_grid_come_through_the_int4_kernel_as_they_were(monkeypatch, group):
    monkeypatch.syspath_prepend(str(BENCH))
    from bandwidth import int4

    # each group of a row: 16 evenly spaced levels from its own low, both ends used, so that
    # the quantiser finds the grid exactly and only bf16 rounding is left
    g = torch.Generator().manual_seed(0)
    out, inp = 64, 256
    levels = torch.randint(0, 16, (out, inp // group, group), generator=g).float()
    levels[..., 0], levels[..., 1] = 0.0, 15.0
    step = torch.rand(out, inp // group, 1, generator=g) * 0.01 + 0.001
    low = torch.randn(out, inp // group, 1, generator=g) * 0.02
    weight = (low + levels * step).reshape(out, inp)
    row = torch.randn(1, inp, generator=g)
    exact = row @ weight.T

    got = int4(weight, group).call(row)

    # bf16 row, scales and zeros: a few parts in a thousand; a misread layout: order one
    assert float((got - exact).norm() / exact.norm()) < 0.01
