"""The support check (`summarizer.support`) against the hand-labelled set, and the collector
that made the set's candidates.

    .venv/bin/python bench/faithful.py                    # recall / false alarms on the set
    .venv/bin/python bench/faithful.py --collect OUT.json FILE...   # run the real model
    .venv/bin/python bench/faithful.py --shown tests/faithful/shown_after.json  # shown, judged

`--collect` runs the real model over each article exactly as a brief does and writes every
answer it gave (first tries and retries, after shaping), whether the older checks passed
it, and the offsets of the sentences it was written from: the candidates that were then
judged by hand into `tests/faithful/labelled.json` (see the README there). Slow: a brief
is ~15 s on a quiet 2-core host.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _offsets(text: str, pieces: list[str]) -> list[list[int]]:
    """Where each source sentence stands in the article: the prompts join a sentence's
    lines with single spaces, so any run of whitespace may stand between its words."""
    spans = []
    for piece in pieces:
        m = re.search(r"\s+".join(map(re.escape, piece.split())), text)
        spans.append([m.start(), m.end()] if m else [-1, -1])
    return spans


def _recording(tried: list[tuple[str, list[str]]], job):
    """`job` with every answer it checks, and the problems found, appended to `tried`."""
    from summarizer.model.drafting import Job

    def check(text: str) -> list[str]:
        problems = job.check(text)
        tried.append((text, problems))
        return problems

    return Job(**{**job.__dict__, "check": check})


def collect(out: Path, paths: list[Path]) -> None:
    from bot.settings import load_settings
    from summarizer.loaded import find_loaded_phrases
    from summarizer.model.drafting import Job, draft_checked
    from summarizer.model.loader import load_generator
    from summarizer.positions import extract_positions
    from summarizer.segment import sentences
    from summarizer.stance import speaker_sentences, stance_jobs
    from summarizer.summary import HEADLINE, event_job, event_source
    from summarizer.types import Position

    settings = load_settings()
    gen = load_generator(settings.model, cache_dir=settings.model_cache)
    items = json.loads(out.read_text()) if out.exists() else []
    done = {i["article"] for i in items}
    for path in paths:
        name = os.path.relpath(path.resolve(), ROOT)  # ../shared/... for third-party text
        if name in done:
            continue
        text = path.read_text(encoding="utf-8")
        positions = extract_positions(text)
        loaded = find_loaded_phrases(text, [q for p in positions for q in p.quotes])
        event = event_job(text, loaded)
        stances = stance_jobs(text, positions)
        jobs: list[tuple[str, Position | None, Job]] = [("event", None, event)]
        jobs += [("stance", positions[i], job) for i, job in stances]
        answers: list[list[tuple[str, list[str]]]] = [[] for _ in jobs]

        draft_checked(gen, [_recording(answers[k], j) for k, (_, _, j) in enumerate(jobs)])
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        for (kind, position, _), tried in zip(jobs, answers, strict=True):
            if kind == "event":
                pieces = [
                    s.removeprefix(f"{HEADLINE} ") for s in event_source(text).split("\n") if s
                ]
                who = {}
            else:
                assert position is not None  # a stance job always has its speaker
                pieces = speaker_sentences(text, position)
                who = {
                    "speaker": position.speaker,
                    "aliases": position.aliases,
                    "role": position.role,
                }
            for attempt, (answer, problems) in enumerate(tried, 1):
                for sentence in sentences(answer) if kind == "event" else [answer]:
                    items.append(
                        {
                            "article": name,
                            "article_sha256": sha,
                            "kind": kind,
                            **who,
                            "sources": _offsets(text, pieces),
                            "sentence": sentence,
                            "attempt": attempt,
                            "old_checks_pass": not problems,
                        }
                    )
        out.write_text(json.dumps(items, indent=1, ensure_ascii=False))
        print(f"{name}: {sum(len(a) for a in answers)} answers", flush=True)


def _shown(items: list[dict], passed: str) -> tuple[int, int, dict[str, int], list[str]]:
    """(answers, fallbacks, labels of shown sentences, shown sentences with no label): a
    brief shows a first try that passed its checks (`passed` names the field), else a
    retry that did, else the labelled fallback."""
    rows: dict[tuple[str, str, str | None], dict[int, list[dict]]] = {}
    for item in items:
        job = (item["article"], item["kind"], item.get("speaker"))
        rows.setdefault(job, {}).setdefault(item["attempt"], []).append(item)
    fallbacks, counts, unknown = 0, {"supported": 0, "unsupported": 0, "vacuous": 0}, []
    for attempts in rows.values():
        ok = [a for _, a in sorted(attempts.items()) if a[0][passed]]
        if not ok:
            fallbacks += 1
            continue
        for item in ok[0]:
            if "label" in item:
                counts[item["label"]] += 1
            else:
                unknown.append(f"{item['article']}: {item['sentence']}")
    return len(rows), fallbacks, counts, unknown


def _print_shown(name: str, figures: tuple[int, int, dict[str, int], list[str]]) -> None:
    answers, fallbacks, counts, unknown = figures
    judged = sum(counts.values())
    print(
        f"{name}: {answers} model answers, {fallbacks} fell back ({fallbacks / answers:.0%}); "
        f"{judged} shown sentences {counts}, supported {counts['supported'] / judged:.0%}"
    )
    for line in unknown:
        print("  not judged:", line)


def shown(path: Path) -> None:
    """What briefs showed after the support check (`path`, as tests/faithful/shown_after.json)
    against what they showed before on the same articles (the candidates in the labelled
    set, which the code before the check wrote and checked)."""
    from faithful_scoring import LABELLED

    after = json.loads(path.read_text(encoding="utf-8"))["items"]
    articles = {i["article"] for i in after}
    before = [
        i
        for i in json.loads(LABELLED.read_text(encoding="utf-8"))["items"]
        if i["article"] in articles
    ]
    _print_shown("before", _shown(before, "old_checks_pass"))
    _print_shown("after", _shown(after, "checks_pass"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--collect", type=Path, help="write the model's candidates here")
    p.add_argument("--shown", type=Path, help="what briefs showed, before and after the check")
    p.add_argument("files", nargs="*", type=Path)
    args = p.parse_args()
    if args.collect:
        collect(args.collect, args.files)
        return
    if args.shown:
        shown(args.shown)
        return
    from faithful_scoring import load_set, score

    items = load_set(missing_ok=True)
    for split in ("tune", "test", None):
        r = score(items, split)
        print(
            f"{split or 'all'}: recall on unsupported+vacuous {r.flagged_bad}/{r.bad} = "
            f"{r.recall:.2f}; false alarms on supported {r.flagged_good}/{r.good} = "
            f"{r.false_alarm_rate:.2f}"
        )


if __name__ == "__main__":
    main()
