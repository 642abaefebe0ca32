"""Scoring named positions against hand-made gold (see tests/gold/README.md).

Gold never contains the third-party quote texts: each gold quote is offsets plus a short
hash, re-checked against the seed article at load time so the gold cannot drift silently.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.names import name_key, same_person_name
from summarizer.types import Position

REPO = Path(__file__).resolve().parent.parent
GOLD_DIR = Path(__file__).resolve().parent / "gold"


def shared_seeds_dir() -> Path:
    return Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", REPO.parent / "shared" / "seeds"))


def sha12(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()[:12]


def head(s: str) -> str:
    return " ".join(s.split()[:4])


class GoldError(AssertionError):
    pass


def load_gold(gold_file: Path, seeds_dir: Path) -> list[tuple[str, str, dict]]:
    """(name, article text, gold record) per article; raises GoldError if gold drifted."""
    data = json.loads(gold_file.read_text(encoding="utf-8"))
    out = []
    for art in data["articles"]:
        text = (seeds_dir / art["file"]).read_text(encoding="utf-8")
        if sha12(text) != art["article_sha1"]:
            raise GoldError(f"{art['file']}: article changed since gold was made")
        for q in art["quotes"]:
            s = text[q["start"] : q["end"]]
            if sha12(s) != q["sha1"] or head(s) != q["head"]:
                raise GoldError(f"{art['file']}: gold quote at {q['start']} does not match text")
        out.append((art["file"], text, art))
    return out


@dataclass
class Score:
    sys_speakers: int = 0
    sys_speakers_ok: int = 0  # matched a required gold speaker
    sys_speakers_neutral: int = 0  # matched an optional speaker
    gold_speakers: int = 0
    gold_speakers_found: int = 0
    sys_quotes: int = 0
    verbatim: int = 0
    attr_scored: int = 0
    attr_ok: int = 0
    gold_quotes: int = 0
    gold_quotes_found: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, o: Score) -> None:
        for k, v in vars(o).items():
            if isinstance(v, int):
                setattr(self, k, getattr(self, k) + v)
        self.errors += o.errors

    @property
    def precision(self) -> float:
        den = self.sys_speakers - self.sys_speakers_neutral
        return self.sys_speakers_ok / den if den else 1.0

    @property
    def recall(self) -> float:
        return self.gold_speakers_found / self.gold_speakers if self.gold_speakers else 1.0

    @property
    def fidelity(self) -> float:
        return self.verbatim / self.sys_quotes if self.sys_quotes else 1.0

    @property
    def attribution(self) -> float:
        return self.attr_ok / self.attr_scored if self.attr_scored else 1.0

    @property
    def quote_recall(self) -> float:
        return self.gold_quotes_found / self.gold_quotes if self.gold_quotes else 1.0


def _names_match(name: str, aliases: list[str]) -> bool:
    k = name_key(name)
    return any(k == name_key(a) or same_person_name(name, a) for a in aliases)


def _gold_speaker_for(p: Position, gold: dict) -> str | None:
    """Gold speaker for a system position: by its display name, else by a surface form that
    only one gold speaker has (a bare 'Weber' must not decide between two Webers)."""
    speakers = gold["speakers"]
    for names in ([p.speaker], p.aliases):
        for n in names:
            exact = [
                sp["name"]
                for sp in speakers
                if name_key(n) in {name_key(a) for a in [sp["name"], *sp.get("aliases", [])]}
            ]
            if len(exact) == 1:
                return exact[0]
            loose = [
                sp["name"]
                for sp in speakers
                if _names_match(n, [sp["name"], *sp.get("aliases", [])])
            ]
            if len(loose) == 1:
                return loose[0]
    return None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0 and inter >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def score_article(text: str, gold: dict, positions: list[Position]) -> Score:
    s = Score()
    required = [sp["name"] for sp in gold["speakers"]]
    optional = gold.get("optional_speakers", [])
    s.gold_speakers = len(required)
    found: set[str] = set()
    for p in positions:
        if not p.quotes:
            continue  # paraphrase-only positions are not speakers for this score (README)
        if p.kind == "unnamed":
            # These gold files name who speaks and leave unnamed sources out; an unnamed
            # source's quotes are checked for being verbatim here, and its recall is scored
            # on real news (bench/realnews.py, the 'description' sources).
            s.verbatim += sum(q.is_verbatim_in(text) for q in p.quotes)
            s.sys_quotes += len(p.quotes)
            continue
        s.sys_speakers += 1
        g = _gold_speaker_for(p, gold)
        if g is not None:
            s.sys_speakers_ok += 1
            found.add(g)
        elif _names_match(p.speaker, optional):
            s.sys_speakers_neutral += 1
        else:
            s.errors.append(f"spurious speaker {p.speaker!r}")
        for q in p.quotes:
            s.sys_quotes += 1
            s.verbatim += q.is_verbatim_in(text)
            hit = next(
                (
                    gq
                    for gq in gold["quotes"]
                    if _overlap((q.start, q.end), (gq["start"], gq["end"]))
                ),
                None,
            )
            if hit is not None and hit["optional"]:
                continue
            s.attr_scored += 1
            if hit is not None and hit["speaker"] is not None and hit["speaker"] == g:
                s.attr_ok += 1
            else:
                want = hit["speaker"] if hit else "no quote"
                s.errors.append(
                    f"quote@{q.start} {head(q.text)!r}: got {p.speaker!r}, gold {want!r}"
                )
    s.gold_speakers_found = len(found)
    for sp in required:
        if sp not in found:
            s.errors.append(f"missed speaker {sp!r}")
    for gq in gold["quotes"]:
        if gq["speaker"] is None or gq["optional"]:
            continue
        s.gold_quotes += 1
        span = (gq["start"], gq["end"])
        ok = any(
            _gold_speaker_for(p, gold) == gq["speaker"]
            and any(_overlap((q.start, q.end), span) for q in p.quotes)
            for p in positions
        )
        s.gold_quotes_found += ok
        if not ok:
            s.errors.append(f"missed quote@{gq['start']} {gq['head']!r} of {gq['speaker']!r}")
    return s


def gold_sets() -> list[tuple[str, Path, Path]]:
    """(label, gold file, seeds dir) for every gold set whose seeds are present."""
    sets = [
        ("shared", GOLD_DIR / "shared_seeds.json", shared_seeds_dir()),
        ("repo", GOLD_DIR / "repo_seeds.json", REPO / "seeds"),
    ]
    return [(label, g, d) for label, g, d in sets if g.exists() and d.is_dir()]


def heldout_sets() -> list[tuple[str, Path, Path]]:
    """The held-out sets (tests/heldout, tests/heldout2), each scored apart from the seeds the
    rules grew on and from each other: heldout2 was written after heldout had been used to
    improve the rules."""
    sets = [
        (label, GOLD_DIR / f"{label}.json", REPO / "tests" / label)
        for label in ("heldout", "heldout2")
    ]
    return [(label, g, d) for label, g, d in sets if g.exists() and d.is_dir()]
