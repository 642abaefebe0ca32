"""The sentence embedding (`summarizer.similarity`) tried as a signal, on hand-judged sets:

    PYTHONPATH=. .venv/bin/python bench/similarity.py [cost] [support] [restatement]

1. support: does a model sentence's best cosine to the sentences it was written from
   separate supported from unsupported and vacuous ones (tests/faithful/labelled.json)?
   Alone, and as an extra reason to fail beside the lexical check (`support_problems`);
2. vacuity: is a stance line closer to an empty template line than to the speaker's own
   words (the margin), as "X supports her side's position" is?
3. restatement: does a stance line say again what an event sentence of the same summary
   says (tests/faithful/restated.json), where the copied-word rule (`summary._restates`)
   sees no long copied run?

Each threshold is read off the tuning split; the kept-aside split is printed beside it
only to report. Then the cost: load time and memory, and time per sentence.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# The empty lines the issue and tests/faithful/README.md quote as vacuous, the speaker
# replaced by a pronoun as the lines below are (their names would weigh in the cosine).
TEMPLATES = (
    "They support their side's stance.",
    "They support her side's position.",
    "They hold the position of Finance Minister.",
)
SPLITS = ("tune", "test")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cost() -> None:
    """Load once (torch and transformers imported first: the brief has them loaded already),
    then per sentence: one at a time, as `summary._restates` asks, and in one batch."""
    import torch

    from summarizer import similarity

    before = _rss_mib()
    started = time.perf_counter()
    similarity.get_embedder()
    loaded = time.perf_counter() - started
    print(
        f"load {loaded:.2f} s, peak RSS {before:.0f} -> {_rss_mib():.0f} MiB "
        f"(torch threads {torch.get_num_threads()})"
    )
    line = "Ingrid Halvorsen believes the alliance needs stronger air defence before talks."
    summary = [
        "Ingrid Halvorsen, the alliance's secretary general, spoke to ministers on Tuesday.",
        "She said the alliance needed more air defence, not more talk, before any talks.",
    ]
    similarity.embed([line])  # the first call pays a one-off set-up
    rounds = 20
    took = {}
    for name, texts in (("one sentence", [line]), ("three in one batch", [line, *summary])):
        started = time.perf_counter()
        for _ in range(rounds):
            similarity.embed(texts)
        took[name] = (time.perf_counter() - started) / rounds
    print(
        ", ".join(f"{name} {1000 * t:.0f} ms" for name, t in took.items())
        + f" (a summary embeds each of its sentences once: `similarity.closest` keeps them); "
        f"peak RSS {_rss_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f}"
    )
    per_summary()


def per_summary() -> None:
    """The rule's added time per brief: the shown answers of tests/faithful/shown_after.json
    (15 articles), each article's stance lines checked against its event sentences and the
    lines before them, as `compose_summary` does, with nothing embedded beforehand."""
    import statistics

    from summarizer import similarity
    from summarizer.summary import restates

    shown = json.loads((ROOT / "tests" / "faithful" / "shown_after.json").read_text("utf-8"))
    articles: dict[str, dict[str, list[str]]] = {}
    for item in shown["items"]:
        if item["checks_pass"]:
            kinds = articles.setdefault(item["article"], {"event": [], "stance": []})
            kinds[item["kind"]].append(item["sentence"])
    took, counts = [], []
    for kinds in articles.values():
        parts = list(dict.fromkeys(kinds["event"]))
        if not parts:
            continue
        similarity._SEEN.clear()
        started = time.perf_counter()
        for line in dict.fromkeys(kinds["stance"]):
            if not restates(line, parts):
                parts.append(line)
        took.append(time.perf_counter() - started)
        counts.append(len(kinds["event"]) + len(kinds["stance"]))
    print(
        f"per summary ({len(took)} articles with an event sentence, "
        f"{min(counts)}-{max(counts)} sentences): median {1000 * statistics.median(took):.0f} ms, "
        f"max {1000 * max(took):.0f} ms; load average {os.getloadavg()[0]:.1f}"
    )


def _rate(flagged: Callable[[dict], bool], rows: list[dict], bad: Callable[[dict], bool]) -> str:
    hits = [r for r in rows if bad(r)]
    good = [r for r in rows if not bad(r)]
    caught = sum(map(flagged, hits))
    alarms = sum(map(flagged, good))
    return f"{caught}/{len(hits)} = {caught / len(hits):.2f}, false {alarms}/{len(good)}"


def _pronoun(sentence: str, names: list[str]) -> str:
    for name in sorted((n for n in names if len(n) > 2), key=len, reverse=True):
        sentence = sentence.replace(name, "They")
    return sentence


def support_rows() -> list[dict]:
    """Per labelled sentence: the lexical check's verdict, the best cosine to a source
    sentence, and the vacuity margin (template cosine less best cosine to the sources)."""
    from faithful_scoring import flags, load_set

    from summarizer.similarity import embed

    templates = embed(TEMPLATES)
    rows = []
    for item in load_set(missing_ok=True):
        sources = [" ".join(s.split()) for s in item.sources if s.strip()]
        own = _pronoun(item.sentence, item.names)
        vectors = embed([item.sentence, own, *sources])
        best = float((vectors[2:] @ vectors[0]).max())
        own_best = float((vectors[2:] @ vectors[1]).max())
        rows.append(
            {
                "split": item.split,
                "kind": item.kind,
                "bad": item.label != "supported",
                "lexical": bool(flags(item)),
                "best": best,
                "margin": float((templates @ vectors[1]).max()) - own_best,
            }
        )
    return rows


def _bad(row: dict) -> bool:
    return bool(row["bad"])


def _far(row: dict, at: float) -> bool:
    return bool(row["best"] < at)


def _empty(row: dict, at: float) -> bool:
    return row["kind"] == "stance" and row["margin"] >= at


def _or_lexical(signal: Callable[[dict, float], bool], row: dict, at: float) -> bool:
    return bool(row["lexical"]) or signal(row, at)


def _sweep(rows: list[dict], name: str, values: list[float], signal: Callable) -> None:
    """Per threshold and split: the signal alone | as an extra reason to fail beside the
    lexical check."""
    for at in values:
        cells = []
        for split in SPLITS:
            chosen = [r for r in rows if r["split"] == split]
            alone = _rate(partial(signal, at=at), chosen, _bad)
            both = _rate(partial(_or_lexical, signal, at=at), chosen, _bad)
            cells.append(f"{split} {alone} | {both}")
        print(f"    {name}={at:+.2f}  " + "  ||  ".join(cells))


def support(rows: list[dict]) -> None:
    print("support: recall on unsupported+vacuous, false alarms on supported")
    for split in SPLITS:
        chosen = [r for r in rows if r["split"] == split]
        print(f"  {split:4s} lexical check alone: {_rate(lambda r: r['lexical'], chosen, _bad)}")
    print("  best cosine to a source sentence below T (alone | or the lexical check):")
    _sweep(rows, "T", [step / 20 for step in range(6, 14)], _far)
    print(
        "  vacuity, stance lines: template cosine less best own-words cosine >= M "
        "(alone | or the lexical check):"
    )
    _sweep(rows, "M", [step / 20 for step in range(-4, 5)], _empty)


def _said_again(pair: dict, at: float) -> bool:
    return bool(pair["copied"]) or pair["cosine"] >= at


def restatement() -> None:
    from summarizer.similarity import closest
    from summarizer.summary import RESTATES, copies

    pairs = json.loads((ROOT / "tests" / "faithful" / "restated.json").read_text("utf-8"))["items"]
    for pair in pairs:
        pair["cosine"] = closest(pair["stance"], [pair["event"]])
        pair["copied"] = copies(pair["stance"], pair["event"])
    print(
        f"restatement (now {RESTATES}): a stance line said again, of restates=true pairs "
        "(and with the borderline ones), false = pairs judged not restating"
    )
    for split in SPLITS:
        chosen = [p for p in pairs if p["split"] == split]
        print(f"  {split:4s} copied-word rule alone: {_restated(lambda p: p['copied'], chosen)}")
    for step in range(20, 33):
        at = step / 40
        cells = [
            _restated(partial(_said_again, at=at), [p for p in pairs if p["split"] == split])
            for split in SPLITS
        ]
        print(f"    copied or cosine >= {at:.3f}: tune {cells[0]}  ||  test {cells[1]}")
    for pair in sorted(pairs, key=lambda p: -p["cosine"])[:24]:
        print(
            f"    {pair['cosine']:.2f} {pair['split']:4s} {pair['restates']!s:10s} "
            f"{pair['stance'][:70]}"
        )


def _restated(said_again: Callable[[dict], bool], pairs: list[dict]) -> str:
    yes = [p for p in pairs if p["restates"] is True]
    close = [p for p in pairs if p["restates"] == "borderline"]
    no = [p for p in pairs if p["restates"] is False]
    return (
        f"{sum(map(said_again, yes))}/{len(yes)} "
        f"({sum(map(said_again, yes + close))}/{len(yes + close)}), "
        f"false {sum(map(said_again, no))}/{len(no)}"
    )


PARTS = ("cost", "support", "restatement")


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("parts", nargs="*", help=f"which of {', '.join(PARTS)} (default: all)")
    chosen = p.parse_args().parts or PARTS
    if unknown := set(chosen) - set(PARTS):
        p.error(f"unknown: {', '.join(sorted(unknown))}")
    if "cost" in chosen:
        cost()
    if "support" in chosen:
        support(support_rows())
    if "restatement" in chosen:
        restatement()


if __name__ == "__main__":
    main()
