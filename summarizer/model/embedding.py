"""The int8 model's token table, kept in bf16 and widened to f32 one looked-up row at a time.

The table is the model's largest float tensor (151,936 × 1,536 for the packaged model: 0.93 GB
in f32, 0.47 GB in bf16), and a token reads one row of it. Its values came in bf16 (the
converted GGUF, the bf16 checkpoint), so widening a row gives the f32 row exactly and the
model's outputs do not change. The table is held as the bf16 bits in an int16 buffer:
`model.float()` and `model.dtype` see only the f32 rest, as before.
"""

from __future__ import annotations

import torch


class Bf16Embedding(torch.nn.Module):
    bits: torch.Tensor

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("bits", table.detach().to(torch.bfloat16).view(torch.int16))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        table = self.bits.view(torch.bfloat16)
        return torch.nn.functional.embedding(ids, table).float()
