"""The support check (`summarizer.support`) against the hand-labelled set, and the collector
that made the set's candidates.

    .venv/bin/python bench/faithful.py                    # recall / false alarms on the set
    .venv/bin/python bench/faithful.py --collect OUT.json FILE...   # run the real model
    .venv/bin/python bench/faithful.py --shown tests/faithful/shown_after.json  # shown, judged
    .venv/bin/python bench/faithful.py --policies          # what briefs show, per showing policy
    .venv/bin/python bench/faithful.py --list              # the flawed sentences briefs show

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


STOPPED = "stopped: it could no longer pass"


def recording(tried: list[tuple[str, list[str]]], job):
    """`job` with every answer it finishes, and the problems found, appended to `tried`.
    An answer is recorded when it is shaped, which happens once per finished answer (the
    stop test never shapes), so one stopped as hopeless, which skips the checks, is
    recorded too, as failing. Recorded by its checks alone, a job whose two answers were
    both stopped left no row and its fallback went uncounted (3 of 28 jobs on 8 drawn
    PolNeAR articles)."""
    from summarizer.model.drafting import Job

    def shape(text: str) -> str:
        shaped = job.shape(text)
        tried.append((shaped, [STOPPED]))  # until the checks say otherwise
        return shaped

    def check(text: str) -> list[str]:
        problems = job.check(text)
        tried[-1] = (text, problems)
        return problems

    return Job(**{**job.__dict__, "shape": shape, "check": check})


def settle(tried: list[tuple[str, list[str]]], draft) -> None:
    """The model's verdict, asked once the checks pass (`drafting`), into what `recording`
    kept: an answer the checks passed that was retried, or that the brief did not take,
    was found unsaid by the model."""
    from summarizer.verify import PROBLEM

    for k, (text, problems) in enumerate(tried):
        if not problems and (k < len(tried) - 1 or draft.text is None):
            tried[k] = (text, [PROBLEM])


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
        event = event_job(text, loaded, verdict=settings.model_verdict)
        stances = stance_jobs(text, positions, verdict=settings.model_verdict)
        jobs: list[tuple[str, Position | None, Job]] = [("event", None, event)]
        jobs += [("stance", positions[i], job) for i, job in stances]
        answers: list[list[tuple[str, list[str]]]] = [[] for _ in jobs]

        drafts = draft_checked(gen, [recording(answers[k], j) for k, (_, _, j) in enumerate(jobs)])
        for tried, draft in zip(answers, drafts, strict=True):
            settle(tried, draft)
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


LABELS = ("supported", "unsupported", "vacuous")


def _print_shown(name: str, answers: int, fallbacks: int, shown_items: list[dict]) -> None:
    print(
        f"{name}: {answers} model answers, {fallbacks} fell back ({fallbacks / answers:.0%}); "
        f"shown sentences {_labels([i for i in shown_items if 'label' in i])}"
    )
    for item in shown_items:
        if "label" not in item:
            print(f"  not judged: {item['article']}: {item['sentence']}")


def shown(path: Path) -> None:
    """What briefs showed after the support check (`path`, as tests/faithful/shown_after.json)
    against what they showed before on the same articles (the candidates in the labelled
    set, which the code before the check wrote and checked); then, of the shown sentences
    the labelled set holds (so with a kept verdict), those the model's verdict would pass.
    Those it would fail go back for a retry that was never run, so that line is no brief's
    figure, only which way the verdict moves the share."""
    from faithful_scoring import LABELLED, VERDICTS, Verdicts, brief_shows, load_set

    from summarizer.verify import MIN_YES

    after = json.loads(path.read_text(encoding="utf-8"))["items"]
    articles = {i["article"] for i in after}
    before = [
        i
        for i in json.loads(LABELLED.read_text(encoding="utf-8"))["items"]
        if i["article"] in articles
    ]
    _print_shown("before", *brief_shows(before, "old_checks_pass"))
    answers, fallbacks, shown_after = brief_shows(after, "checks_pass")
    _print_shown("after", answers, fallbacks, shown_after)
    kept = Verdicts.load(VERDICTS)
    labelled = {(i.article, i.sentence): i for i in load_set(missing_ok=True)}
    asked = [i for i in shown_after if (i["article"], i["sentence"]) in labelled]
    passed = [i for i in asked if kept.of(labelled[i["article"], i["sentence"]]) >= MIN_YES]
    failed = [i for i in asked if i not in passed]
    print(
        f"after, the {len(asked)} shown sentences with a kept verdict: the verdict passes "
        f"{_labels(passed)}, fails {_labels(failed)} (those would be retried)"
    )


def rescored(items: list) -> None:
    """What briefs would show from the labelled answers with the support check as it is
    now, per split and collecting commit, beside what the checks of that commit showed.

    A brief shows the first try that passes every check, else the retry that does, else a
    labelled fallback. "then" is `old_checks_pass` (the checks of the commit that
    collected the answers); "now" adds today's support check to it. A first try that
    passed then has no retry in the set, so where today's check fails it "now" counts a
    fallback: an upper bound on the fallback rate, and the share is of the shown ones."""
    from faithful_scoring import brief_shows, collected

    rows = collected(items)
    for split in ("tune", "test"):
        for batch in sorted({r.get("batch", "138a058") for r in rows}):
            chosen = [r for r in rows if r["split"] == split and r.get("batch", "138a058") == batch]
            if not chosen:
                continue
            for name, field in (("then", "old_checks_pass"), ("now", "checked")):
                answers, fallbacks, shown_items = brief_shows(chosen, field)
                print(
                    f"shown, {split} answers collected at {batch}, checks {name}: {answers} "
                    f"answers, {fallbacks} fell back ({fallbacks / answers:.0%}); "
                    f"shown sentences {_labels(shown_items)}"
                )


def policies(items: list, *, report: bool) -> None:
    """What a brief would show of the labelled answers under each showing policy
    (`faithful_scoring.POLICIES`: what becomes of a sentence every check passes but the
    support check cannot vouch for), on the tuning items of the first two batches, the third
    batch (the earlier report set), the fifth, all tuning items, and with `report` the
    report set.

    A job's answer is shown if it passed the checks of its collecting commit, passes today's
    support check and the policy; else its retry, if one passed; else the labelled extract
    stands in. Where a first try fails only now, the set holds no retry ("no retry"): a
    brief would have retried it, so that fallback rate is an upper bound; the retries the
    set does hold, and how many passed, say how much of it a retry might win back. The
    questions are the model's verdicts a brief would ask of these answers, per article."""
    from faithful_scoring import (
        POLICIES,
        VERDICTS,
        Verdicts,
        brief_shows,
        retry_counts,
        ruling,
        under,
    )

    kept = Verdicts.load(VERDICTS)
    print(f"showing policies (load {os.getloadavg()[0]:.1f})")
    for name, chosen in _parts(items, report=report).items():
        articles = len({r["article"] for r in chosen})
        print(f"{name}: {articles} articles")
        for policy in POLICIES:
            judged = under(chosen, policy, kept)
            answers, fallbacks, shown_items = brief_shows(judged, "shown")
            kinds = []
            for kind in ("event", "stance"):
                jobs, fell, _ = brief_shows([r for r in judged if r["kind"] == kind], "shown")
                kinds.append(f"{kind} {fell}/{jobs}")
            no_retry, retries, passed = retry_counts(judged, "shown")
            asked = sum(r["checked"] and ruling(r["item"], policy) == "ask" for r in chosen)
            print(
                f"  {policy:31s} fell back {fallbacks}/{answers} ({fallbacks / answers:.0%}; "
                f"{', '.join(kinds)}; {no_retry} with no retry); retries passed "
                f"{passed}/{retries}; shown {_labels(shown_items)}; "
                f"{asked / articles:.1f} questions an article; "
                f"summary of one event sentence alone {_labels(event_alone(judged))}"
            )


def event_alone(judged: list[dict]) -> list[dict]:
    """The shown event sentences of the briefs whose summary is that one sentence: no shown
    stance line fits beside it (`summary.compose_summary`'s rule). Where a summary needed two
    sentences, these briefs showed the labelled extract instead."""
    from faithful_scoring import by_job

    from summarizer.summary import check_summary, restates

    events: dict[str, list[dict]] = {}
    lines: dict[str, list[str]] = {}
    for (article, kind, _), attempts in by_job(judged).items():
        ok = [a for _, a in sorted(attempts.items()) if all(i["shown"] for i in a)]
        if ok and kind == "event":
            events[article] = ok[0]
        elif ok:
            lines.setdefault(article, []).append(ok[0][0]["sentence"])
    alone = []
    for article, event in events.items():
        parts = [" ".join(i["sentence"] for i in event)]
        fits = [
            line
            for line in lines.get(article, [])
            if not restates(line, parts) and not check_summary(" ".join([*parts, line]))
        ]
        if len(event) == 1 and not fits:
            alone += event
    return alone


def listed(items: list, *, report: bool) -> None:
    """Per part, under the default showing policy (`verdict`), the flawed sentences a brief
    would show and the supported ones the checks fail (the gated mix's false alarms, each
    a fallback a reader pays for), with the hand label's reason or the check's problem:
    what the next rule should be read from. The report set only with `report`."""
    from faithful_scoring import VERDICTS, Verdicts, brief_shows, score, under

    kept = Verdicts.load(VERDICTS)
    for name, chosen in _parts(items, report=report).items():
        _, _, shown_items = brief_shows(under(chosen, "verdict", kept), "shown")
        flawed = [r for r in shown_items if r["label"] != "supported"]
        print(f"{name}: {len(flawed)} flawed sentences shown under verdict")
        for r in flawed:
            print(f"  {r['label']}: {r['article']}: {r['sentence']} ({r['item'].reason})")
        found = score([r["item"] for r in chosen], mix="gated", verdicts=kept)
        print(f"{name}: {len(found.false_alarms)} supported sentences the gated checks fail")
        for line in found.false_alarms:
            print(f"  {line}")


def _parts(items: list, *, report: bool) -> dict[str, list[dict]]:
    """The labelled answers (`faithful_scoring.collected`) by part: the tuning items of the
    first two batches, the third batch (the earlier report set), the fifth (tune-month
    articles collected after the fourth), the sixth's two writings of the same articles
    (a stance line opened with the name alone, and with the act the text reports), the
    seventh's (a line in the model's words, and one of the speaker's sentences shortened),
    all tuning items, and with `report` the report set."""
    from faithful_scoring import REPORT_BATCH, collected

    rows = collected(items)
    third, fifth = "fd47a76", "bac1d22"
    sixth, seventh = ("2fa6b87", "2611a0c"), ("32741e0", "29b2ba2")
    later = (third, fifth, *sixth, *seventh, REPORT_BATCH)
    parts = {
        "tuning, batches 1-2": [r for r in rows if r.get("batch", "138a058") not in later],
        f"tuning, batch 3 ({third})": [r for r in rows if r.get("batch") == third],
        f"tuning, batch 5 ({fifth})": [r for r in rows if r.get("batch") == fifth],
        **{
            f"tuning, batch 6 ({batch}: {how})": [r for r in rows if r.get("batch") == batch]
            for batch, how in zip(sixth, ("the name opens a line", "the act opens it"), strict=True)
        },
        **{
            f"tuning, batch 7 ({batch}: {how})": [r for r in rows if r.get("batch") == batch]
            for batch, how in zip(
                seventh, ("a line in the model's words", "a sentence shortened"), strict=True
            )
        },
        "tuning, all": [r for r in rows if r.get("batch") != REPORT_BATCH],
    }
    if report:
        parts[f"report, batch 4 ({REPORT_BATCH})"] = [
            r for r in rows if r.get("batch") == REPORT_BATCH
        ]
    return parts


def gains(items: list, *, report: bool) -> None:
    """The "text gain" candidates (`faithful_scoring.GAIN`) at each threshold, per part: of
    the sentences every check passes, the flawed and the supported ones the gain fails,
    and what briefs would show. The threshold is read off batches 1-2; batch 3 checks it."""
    from faithful_scoring import GAIN, MIN_GAIN, VERDICTS, Verdicts, brief_shows, under

    kept = Verdicts.load(VERDICTS)
    print(f"text gain thresholds (now {MIN_GAIN}; load {os.getloadavg()[0]:.1f})")
    for name, chosen in _parts(items, report=report).items():
        print(name)
        passed = [r for r in chosen if r["checked"]]
        for step in range(-4, 5):
            at = step / 2
            line = [f"  {at:+.1f}"]
            for policy in GAIN:
                judged = under(chosen, policy, kept, at)
                failed = [r for r in judged if r["checked"] and not r["shown"]]
                bad = sum(r["label"] != "supported" for r in failed)
                answers, fallbacks, shown_items = brief_shows(judged, "shown")
                line.append(
                    f"{policy}: fails {bad}/{sum(r['label'] != 'supported' for r in passed)} "
                    f"flawed, {len(failed) - bad}/{sum(r['label'] == 'supported' for r in passed)}"
                    f" supported; fell back {fallbacks}/{answers}; shown {_labels(shown_items)}"
                )
            print(" | ".join(line))


def _labels(items: list[dict]) -> str:
    counts = {label: sum(i.get("label") == label for i in items) for label in LABELS}
    share = counts["supported"] / len(items) if items else 0.0
    return f"{len(items)} {counts} (supported {share:.0%})"


def verdicts(path: Path, *, report: bool) -> None:
    """Ask the real model about every labelled sentence whose verdict is not kept in `path`,
    an article at a time (its questions share their text, which the backend then reads
    once), and keep p(Yes) by question and model. Prints the cost per verdict. The "text
    gain" candidate's question without the text (`faithful_scoring.without_text`) is asked
    of the sentences every check passes, the only ones a policy asks about; of the report
    set's only with `report` (once, last)."""
    import time

    from faithful_scoring import REPORT_BATCH, Verdicts, collected, load_set, verdict_key

    from bot.settings import load_settings
    from summarizer.model.loader import load_generator
    from summarizer.model.transformers_backend import TransformersGenerator
    from summarizer.verify import OPTIONS, p_yes

    settings = load_settings()
    gen = load_generator(settings.model, cache_dir=settings.model_cache)
    assert isinstance(gen, TransformersGenerator), "the cost figures are the in-process model's"
    kept = Verdicts.load(path) if path.exists() else Verdicts(gen.name, {})
    every = load_set(missing_ok=True)
    checked = [r["item"] for r in collected(every) if r["checked"]]
    priors = [i for i in checked if report or i.batch != REPORT_BATCH]
    pairs = [(i.article, i.question) for i in every]
    pairs += [(i.article, i.prior_question) for i in priors]
    # the report set's questions without the text are asked only with `report`, and kept
    # always: a run without it had dropped them from the file as unwanted
    wanted = {verdict_key(gen.name, q) for _, q in pairs}
    wanted |= {verdict_key(gen.name, i.prior_question) for i in checked}
    found = {k: v for k, v in kept.p_yes.items() if k in wanted and kept.model == gen.name}
    todo = [(a, q) for a, q in pairs if verdict_key(gen.name, q) not in found]
    articles = list(dict.fromkeys(a for a, _ in todo))
    asked = tokens = 0
    took = 0.0
    print(f"{len(todo)} questions over {len(articles)} articles, load {os.getloadavg()[0]:.1f}")
    for article in articles:
        questions = [q for a, q in todo if a == article]
        started = time.perf_counter()
        answers = gen.judge(questions, OPTIONS)
        took += time.perf_counter() - started
        asked += len(questions)
        tokens += gen.last_stats.prompt_tokens
        for question, answer in zip(questions, answers, strict=True):
            found[verdict_key(gen.name, question)] = round(p_yes(answer), 4)
        data = {"model": gen.name, "p_yes": dict(sorted(found.items()))}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(
            f"{article}: {len(questions)} verdicts; so far {1000 * took / asked:.0f} ms and "
            f"{tokens / asked:.0f} prompt tokens a verdict (contexts read once per article)",
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--collect", type=Path, help="write the model's candidates here")
    p.add_argument("--shown", type=Path, help="what briefs showed, before and after the check")
    p.add_argument(
        "--verdicts", action="store_true", help="ask the real model about each labelled sentence"
    )
    p.add_argument(
        "--policies", action="store_true", help="what briefs show under each showing policy"
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="with --policies, --verdicts, --gains or --list: the report set too (once, last)",
    )
    p.add_argument(
        "--gains", action="store_true", help="the text gain's threshold swept over the parts"
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="the flawed sentences briefs show and the supported ones the checks fail",
    )
    p.add_argument("files", nargs="*", type=Path)
    args = p.parse_args()
    if args.verdicts:
        from faithful_scoring import VERDICTS

        verdicts(VERDICTS, report=args.report)
        return
    if args.collect:
        collect(args.collect, args.files)
        return
    if args.shown:
        shown(args.shown)
        return
    if args.list or args.policies or args.gains:
        from faithful_scoring import load_set

        run = listed if args.list else policies if args.policies else gains
        run(load_set(missing_ok=True), report=args.report)
        return
    figures()


def _line(name: str, r) -> str:
    return (
        f"{name}: recall on unsupported+vacuous {r.flagged_bad}/{r.bad} = {r.recall:.2f}; "
        f"false alarms on supported {r.flagged_good}/{r.good} = {r.false_alarm_rate:.2f}"
    )


def _cost(items: list) -> None:
    """The support check's time per item, run on every shown sentence: first with every
    parse new (spaCy's pipeline already read in), then again with the parses cached, as a
    retry's sources are. Timings move with the host's load, printed beside them."""
    import time

    from faithful_scoring import asked, flags

    from summarizer.nlp import get_nlp

    get_nlp()
    for name in ("parses new", "parses cached"):
        started = time.perf_counter()
        for item in items:
            flags(item)
        took = (time.perf_counter() - started) * 1000 / len(items)
        print(f"support check, {name}: {took:.1f} ms per item (load {os.getloadavg()[0]:.1f})")
    started = time.perf_counter()
    passed = [i for i in items if not flags(i)]
    chosen = sum(map(asked, passed))
    took = (time.perf_counter() - started) * 1000 / len(items)
    print(
        f"whether to ask the model (gated), parses cached: {took:.1f} ms per item with the "
        f"check; it asks {chosen} of the {len(passed)} sentences the check passes"
    )


def figures() -> None:
    """Recall and false alarms for each mix (the support check, the model's verdict,
    either) per split, then per part: "tuning" (the tune split and the kept-aside items of
    earlier batches) and "report" (the newest batch's kept-aside items); then the verdict's
    threshold swept over the tuning items: the one to keep is read off them alone, the
    report set only reported."""
    from faithful_scoring import MIXES, VERDICTS, SetError, Verdicts, load_set, score

    from summarizer.verify import MIN_YES

    items = load_set(missing_ok=True)
    kept = Verdicts.load(VERDICTS) if VERDICTS.exists() else None
    _cost(items)
    for mix in MIXES:
        try:
            for split in ("tune", "test", "tuning", "report", None):
                r = score(items, split, mix=mix, verdicts=kept)
                print(_line(f"{mix:7s} {split or 'all'}", r))
        except (SetError, AssertionError) as exc:
            print(f"{mix}: no figures ({exc})")
    rescored(items)
    if kept is None:
        return
    print(f"threshold on p(Yes) (now {MIN_YES}), tuning items:")
    for step in range(4, 20):
        at = step / 20
        line = [f"  {at:.2f}"]
        for mix in MIXES[1:]:
            r = score(items, "tuning", mix=mix, verdicts=kept, min_yes=at)
            line.append(f"{mix} recall {r.recall:.2f} false alarms {r.false_alarm_rate:.2f}")
        print(" | ".join(line))


if __name__ == "__main__":
    main()
