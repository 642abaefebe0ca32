"""Scoring the support check (`summarizer.support`) against the hand-labelled model
sentences in `faithful/labelled.json` (see `faithful/README.md`).

Third-party articles are not in the repository: an item names its article by a path
relative to the repository (`../shared/...`), and gives its source sentences as character
offsets and the article's sha256, re-checked when the set is loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.support import support_problems

REPO = Path(__file__).resolve().parent.parent
LABELLED = Path(__file__).resolve().parent / "faithful" / "labelled.json"
FLAGGED_LABELS = ("unsupported", "vacuous")


class SetError(AssertionError):
    pass


@dataclass(frozen=True)
class Item:
    article: str
    kind: str  # "stance" | "event"
    sentence: str
    sources: list[str]
    names: list[str]
    label: str  # "supported" | "unsupported" | "vacuous"
    reason: str
    split: str  # "tune" | "test"


def article_path(article: str) -> Path:
    return (REPO / article).resolve()


def load_set(path: Path = LABELLED, *, missing_ok: bool = False) -> list[Item]:
    """Every item whose article is here; raises SetError if an article changed. With
    `missing_ok`, items whose article is absent (no ../shared beside the clone) are left out."""
    data = json.loads(path.read_text(encoding="utf-8"))
    texts: dict[str, str | None] = {}
    items = []
    for raw in data["items"]:
        name = raw["article"]
        if name not in texts:
            file = article_path(name)
            if not file.exists():
                if not missing_ok:
                    raise SetError(f"{name}: article not found")
                texts[name] = None
            else:
                texts[name] = file.read_text(encoding="utf-8")
                digest = hashlib.sha256(texts[name].encode("utf-8")).hexdigest()  # type: ignore[union-attr]
                if digest != data["articles"][name]:
                    raise SetError(f"{name}: article changed since the set was labelled")
        text = texts[name]
        if text is None:
            continue
        speaker = raw.get("speaker")
        names = (
            [speaker, *raw.get("aliases", []), *speaker.split(), raw.get("role") or ""]
            if speaker
            else []
        )
        items.append(
            Item(
                article=name,
                kind=raw["kind"],
                sentence=raw["sentence"],
                sources=[text[s:e] for s, e in raw["sources"]],
                names=names,
                label=raw["label"],
                reason=raw["reason"],
                split=raw["split"],
            )
        )
    return items


def flags(item: Item) -> list[str]:
    sources = [" ".join(item.sources)] if item.kind == "stance" else item.sources
    return support_problems(item.sentence, sources, names=item.names)


@dataclass
class Score:
    flagged_bad: int = 0
    bad: int = 0
    flagged_good: int = 0
    good: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.flagged_bad / self.bad if self.bad else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged_good / self.good if self.good else 0.0


def score(items: list[Item], split: str | None = None) -> Score:
    out = Score()
    for item in items:
        if split is not None and item.split != split:
            continue
        flagged = bool(flags(item))
        if item.label in FLAGGED_LABELS:
            out.bad += 1
            out.flagged_bad += flagged
            if not flagged:
                out.misses.append(f"{item.article}: {item.sentence} ({item.reason})")
        else:
            out.good += 1
            out.flagged_good += flagged
            if flagged:
                out.false_alarms.append(f"{item.article}: {item.sentence} -> {flags(item)}")
    return out
