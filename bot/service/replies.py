"""What the service core answers with: rich text that each skin renders its own way.

The core never writes HTML or terminal escapes; Telegram renders blocks as escaped HTML,
the console as plain text, so both show the same content.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

BlockKind = Literal["heading", "text", "item", "quote", "note"]


class Block(BaseModel):
    kind: BlockKind
    text: str


class Button(BaseModel):
    """An inline action; `command` is an ordinary service command such as '/quotes 12'."""

    label: str
    command: str


class Reply(BaseModel):
    blocks: list[Block] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)

    @classmethod
    def say(cls, *paragraphs: str) -> Reply:
        return cls(blocks=[Block(kind="text", text=p) for p in paragraphs])

    def plain(self) -> str:
        """The reply as plain text: the console's view, and what tests compare against."""
        lines: list[str] = []
        for block in self.blocks:
            if block.kind == "heading":
                lines.append(f"\n{block.text}" if lines else block.text)
            elif block.kind == "item":
                lines.append(f"• {block.text}")
            elif block.kind == "quote":
                lines.append(f"    “{block.text}”")
            elif block.kind == "note":
                lines.append(f"({block.text})")
            else:
                lines.append(block.text)
        if self.buttons:
            lines.append("  ".join(f"[{b.label}: {b.command}]" for b in self.buttons))
        return "\n".join(lines)


@dataclass
class Response:
    """One message to send; `updates`, when present, yields replacements as work completes.

    `late`: the reply is whole without its updates, which only add to it and may take
    minutes (/stance's digest): a skin need not hold the conversation until they come."""

    reply: Reply
    updates: AsyncIterator[Reply] | None = None
    late: bool = False
