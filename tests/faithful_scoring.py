"""Scoring the support check (`summarizer.support`) against the hand-labelled model
sentences in `faithful/labelled.json` (see `faithful/README.md`).

Third-party articles are not in the repository: an item names its article by a path
relative to the repository (`../shared/...`), and gives its source sentences as character
offsets and the article's sha256, re-checked when the set is loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.model.base import ChatMessage
from summarizer.stance import stance_context
from summarizer.summary import HEADLINE, event_context, guess_title
from summarizer.support import doubt, support_problems, unsure
from summarizer.verify import MIN_YES, verdict_prompt

REPO = Path(__file__).resolve().parent.parent
LABELLED = Path(__file__).resolve().parent / "faithful" / "labelled.json"
# The packaged model's verdict on each labelled sentence, kept so the figures need no model
# run (bench/faithful.py --verdicts writes it; a changed question or model leaves it stale).
VERDICTS = Path(__file__).resolve().parent / "faithful" / "verdicts.json"
FLAGGED_LABELS = ("unsupported", "vacuous")
FIRST_BATCH = "138a058"  # items without a `batch` field
# The newest batch: its kept-aside items are the report set, not read while tuning. The
# kept-aside items of earlier batches were reported blind at their own stop and are tuned
# on since, with the `tune` split (faithful/README.md).
REPORT_BATCH = "d9589cf"


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
    batch: str  # the commit that collected it
    context: list[ChatMessage]  # what the model read before its answer (`verify`)

    @property
    def part(self) -> str:
        """ "report" for the newest batch's kept-aside items, else "tuning"."""
        return "report" if self.split == "test" and self.batch == REPORT_BATCH else "tuning"

    @property
    def question(self) -> list[ChatMessage]:
        """The yes/no question the checks ask the model about this sentence."""
        return verdict_prompt(self.context, self.sentence)

    @property
    def prior_question(self) -> list[ChatMessage]:
        """The same question with the text left out (`without_text`)."""
        return without_text(self.question)


def without_text(question: list[ChatMessage]) -> list[ChatMessage]:
    """A verdict's question with the text it is about left out: the task's system message,
    then the question. What the model says Yes to without the text is what it believes of
    the sentence alone; the "text gain" candidate (s31) fails a sentence the text does not
    make more believable than that (`Verdicts.gain`)."""
    return [question[0], question[-1]]


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
        sources = [text[s:e] for s, e in raw["sources"]]
        items.append(
            Item(
                article=name,
                kind=raw["kind"],
                sentence=raw["sentence"],
                sources=sources,
                names=names,
                label=raw["label"],
                reason=raw["reason"],
                split=raw["split"],
                batch=raw.get("batch", FIRST_BATCH),
                context=_context(raw, text, sources),
            )
        )
    return items


def _context(raw: dict, text: str, sources: list[str]) -> list[ChatMessage]:
    """The prompt's messages before its task, as the brief wrote them: a stance line's
    speaker and their own words, an event sentence's lead with its headline labelled."""
    lines = [" ".join(s.split()) for s in sources]
    if raw["kind"] == "stance":
        return stance_context(raw["speaker"], raw.get("role"), lines)
    title = guess_title(text)
    if title and lines and lines[0] == " ".join(title.split()):
        lines[0] = f"{HEADLINE} {lines[0]}"
    return event_context("\n".join(lines))


def verdict_key(model: str, question: list[ChatMessage]) -> str:
    return hashlib.sha256(f"{model}\n{json.dumps(question)}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Verdicts:
    """The kept p(Yes) of each question, by `verdict_key`, for one model."""

    model: str
    p_yes: dict[str, float]

    @classmethod
    def load(cls, path: Path = VERDICTS) -> Verdicts:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["model"], data["p_yes"])

    def of(self, item: Item, question: list[ChatMessage] | None = None) -> float:
        """p(Yes) of the verdict's question about `item` (or of `question`, one about it)."""
        key = verdict_key(self.model, item.question if question is None else question)
        if key not in self.p_yes:
            raise SetError(
                f"no kept verdict for {item.sentence!r} (question or model changed): "
                "run bench/faithful.py --verdicts"
            )
        return self.p_yes[key]

    def gain(self, item: Item) -> float:
        """How much the text raises the model's Yes: the log-odds of p(Yes) with the text
        less without it (`without_text`). A verifier that reads the text should say Yes
        more readily to what the text says than the sentence alone earns."""
        return _log_odds(self.of(item)) - _log_odds(self.of(item, item.prior_question))


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)  # kept verdicts are rounded to 4 places
    return math.log(p / (1 - p))


def _checked(item: Item) -> list[str]:
    """The sources as the brief's check reads them: a stance line's own words joined."""
    return [" ".join(item.sources)] if item.kind == "stance" else item.sources


def flags(item: Item) -> list[str]:
    return support_problems(item.sentence, _checked(item), names=item.names)


def asked(item: Item) -> bool:
    """Whether a brief with the verdict on would put this sentence to the model, once the
    support check has passed it."""
    return unsure(item.sentence, _checked(item), names=item.names)


# What a brief does with a sentence every check passes but the support check cannot vouch
# for (`support.doubt`), compared by bench/faithful.py --policies: show it ("show"), fail it
# where the model's verdict says No ("verdict", the default: BRIEFBOT_MODEL_VERDICT), fail
# it outright ("fail"), fail only one kind of doubt, or fail the larger doubts and ask the
# model of the rest. A failed sentence is retried once, then the labelled extract stands in.
# s31 adds two candidates that read the verdict as the text's gain (`Verdicts.gain`, at
# least MIN_GAIN) instead of p(Yes): asked where unsure ("verdict by text gain") or of
# every sentence the checks pass ("text gain").
POLICIES = (
    "show",
    "verdict",
    "fail",
    "fail favour",
    "fail missing>=1",
    "fail missing>=1.5",
    "fail missing>=1.5 else verdict",
    "verdict by text gain",
    "text gain",
)
GAIN = ("verdict by text gain", "text gain")
# The least log-odds gain the "text gain" candidates take for a Yes, read off batches 1-2
# (bench/faithful.py --gains): see faithful/README.md.
MIN_GAIN = 1.0


def ruling(item: Item, policy: str) -> str:
    """What `policy` does with this sentence, which the support check passes: "show" it,
    "fail" it, or "ask" the model's verdict."""
    if policy in ("show", "text gain"):
        return "ask" if policy == "text gain" else "show"
    found = doubt(item.sentence, _checked(item), names=item.names)
    if policy == "fail":
        return "fail" if found.unsure else "show"
    if policy == "fail favour":
        return "fail" if found.favours else "show"
    if policy in ("verdict", "verdict by text gain"):
        return "ask" if found.unsure else "show"
    least, _, rest = policy.removeprefix("fail missing>=").partition(" ")
    if found.missing >= float(least):
        return "fail"
    return "ask" if rest == "else verdict" and found.unsure else "show"


def withheld(
    item: Item, policy: str, verdicts: Verdicts | None = None, min_gain: float = MIN_GAIN
) -> bool:
    """Whether `policy` fails this sentence, which the support check passes."""
    found = ruling(item, policy)
    if found != "ask":
        return found == "fail"
    assert verdicts is not None, f"the {policy!r} policy needs the model's verdicts"
    if policy in GAIN:
        return verdicts.gain(item) < min_gain
    return verdicts.of(item) < MIN_YES


def collected(items: list[Item]) -> list[dict]:
    """The labelled answers as collected (with `attempt` and `old_checks_pass`), each with
    its label, its scoring `item`, and whether the checks pass it now ("checked": those of
    its collecting commit and today's support check)."""
    labelled = {(i.article, i.sentence): i for i in items}
    raw = json.loads(LABELLED.read_text(encoding="utf-8"))["items"]
    rows = [
        {**r, "item": labelled[r["article"], r["sentence"]]}
        for r in raw
        if (r["article"], r["sentence"]) in labelled
    ]
    for row in rows:
        row["label"] = row["item"].label
        row["checked"] = row["old_checks_pass"] and not flags(row["item"])
    return rows


def under(
    rows: list[dict], policy: str, verdicts: Verdicts | None = None, min_gain: float = MIN_GAIN
) -> list[dict]:
    """`rows` (from `collected`), each "shown" where a brief would take it under `policy`:
    the checks pass it and the policy does not withhold it."""
    return [
        {**r, "shown": r["checked"] and not withheld(r["item"], policy, verdicts, min_gain)}
        for r in rows
    ]


def by_job(items: list[dict]) -> dict[tuple[str, str, str | None], dict[int, list[dict]]]:
    """The answers by job (article, kind, speaker), then by attempt: an event answer of two
    sentences is two items."""
    jobs: dict[tuple[str, str, str | None], dict[int, list[dict]]] = {}
    for item in items:
        job = (item["article"], item["kind"], item.get("speaker"))
        jobs.setdefault(job, {}).setdefault(item["attempt"], []).append(item)
    return jobs


def brief_shows(items: list[dict], passed: str) -> tuple[int, int, list[dict]]:
    """(answers, fallbacks, shown sentences): a brief shows a first try that passed its
    checks (`passed` names the field), else a retry that did, else the labelled fallback."""
    rows = by_job(items)
    fallbacks, shown_items = 0, []
    for attempts in rows.values():
        ok = [a for _, a in sorted(attempts.items()) if all(i[passed] for i in a)]
        if not ok:
            fallbacks += 1
            continue
        shown_items += ok[0]
    return len(rows), fallbacks, shown_items


def retry_counts(rows: list[dict], passed: str) -> tuple[int, int, int]:
    """(jobs that fell back with only a first try in the set, where a brief would have
    retried; retries in the set; those that passed)."""
    jobs = by_job(rows).values()
    no_retry = sum(list(tried) == [1] and not all(r[passed] for r in tried[1]) for tried in jobs)
    retried = [tried[2] for tried in jobs if 2 in tried]
    return no_retry, len(retried), sum(all(r[passed] for r in retry) for retry in retried)


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


# Which check flags: the support check, the verdict, either, or the support check and the
# verdict on the sentences it passes but is unsure of (`support.unsure`), as briefs run by
# default (BRIEFBOT_MODEL_VERDICT).
MIXES = ("lexical", "model", "both", "gated")


def score(
    items: list[Item],
    split: str | None = None,
    *,
    mix: str = "lexical",
    verdicts: Verdicts | None = None,
    min_yes: float = MIN_YES,
) -> Score:
    """The checks' figures on the items of `split`: a split ("tune", "test"), a part
    ("tuning", "report"; `Item.part`), or None for all."""
    out = Score()
    for item in items:
        if split is not None and split not in (item.split, item.part):
            continue
        found = flags(item) if mix != "model" else []
        if mix != "lexical" and (mix != "gated" or (not found and asked(item))):
            assert verdicts is not None, f"the {mix!r} mix needs the model's verdicts"
            yes = verdicts.of(item)
            if yes < min_yes:
                found = [*found, f"model: p(Yes) {yes:.2f}"]
        flagged = bool(found)
        if item.label in FLAGGED_LABELS:
            out.bad += 1
            out.flagged_bad += flagged
            if not flagged:
                out.misses.append(f"{item.article}: {item.sentence} ({item.reason})")
        else:
            out.good += 1
            out.flagged_good += flagged
            if flagged:
                out.false_alarms.append(f"{item.article}: {item.sentence} -> {found}")
    return out
