"""Named positions on real news: `../shared/realnews/` scored by its own `score.py`.

Run: .venv/bin/python bench/realnews.py [--split tune|holdout|all] [--errors FILE]

The rules are tuned on the months up to 2016-06 (`tune`) and reported on 2016-07/08
(`holdout`), so the holdout figures say how they generalise. The articles are third-party
text and stay in `../shared`; this script only reads them, runs
`briefbot analyze --json --no-model` on them (the JSON contract the scorer reads) and hands
the lines to the corpus's scorer, which prints the table and writes the error listing.

After the table it prints what the scorer does not see: attrN counts only named-source
quotes, so a described source ('a senior Cruz adviser') filed under the person it names
costs no figure there. Its matching is the scorer's own (same best match per gold quote).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "realnews"
SPLITS = {
    "tune": ("*_2015-*", "*_2016-0[1-6]-*"),
    "holdout": ("*_2016-0[78]-*",),
    "all": ("*",),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="holdout")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--errors", type=Path, default=Path("realnews-errors.txt"))
    args = parser.parse_args()
    texts = args.corpus / "polnear-train" / "texts"
    if not texts.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    globs = SPLITS[args.split]
    names = sorted({p.stem for g in globs for p in texts.glob(g + ".txt")})
    with tempfile.TemporaryDirectory() as tmp:
        # The scorer reads a folder of texts/ and gold/; this split's files are linked, not
        # copied, into one so that one table covers the whole split.
        split = Path(tmp) / "split"
        for sub, ext in (("texts", ".txt"), ("gold", ".json")):
            (split / sub).mkdir(parents=True)
            for name in names:
                (split / sub / (name + ext)).symlink_to(texts.parent / sub / (name + ext))
        pred = Path(tmp) / "pred.jsonl"
        files = [str(split / "texts" / (n + ".txt")) for n in names]
        with pred.open("w", encoding="utf-8") as out:
            run = subprocess.run(
                [sys.executable, "-m", "bot.cli", "analyze", "--json", "--no-model", *files],
                cwd=ROOT,
                stdout=out,
                check=False,
            )
        if run.returncode:
            return run.returncode
        score = [sys.executable, str(args.corpus / "score.py"), "--gold", str(split)]
        score += ["--pred", str(pred), "--errors", str(args.errors)]
        code = subprocess.run(score, check=False).returncode
        unnamed_errors = args.errors.with_name(args.errors.stem + "-unnamed" + args.errors.suffix)
        print(unnamed_report(_scorer(args.corpus), split, pred, unnamed_errors))
        return code


def _scorer(corpus: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("realnews_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no scorer at {corpus}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A gold source the annotators marked named although it describes someone by a name it
# merely holds ('the senior Cruz adviser', 'an Iowa Democrat'): it opens with an article or
# a quantifier, as a name does not. Filed under an unnamed label, such a quote is right for a
# reader and wrong for attrN, so the two are counted apart.
_DESCRIBED = re.compile(r"(?:a|an|the|another|one|two|three|some|several)\s", re.I)


def unnamed_report(score: Any, split: Path, pred: Path, errors: Path) -> str:
    """Described and unsourced gold quotes that briefbot finds, by the kind of speaker it
    files them under (a named one is the error: a reader takes an aide's words for the
    boss's), and named-source quotes filed under an unnamed label. Lists each case in
    `errors`, outside the repository's tracked files, as the scorer's listing is."""
    arts = score.load_gold(split)
    preds = {}
    for line in pred.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        preds[record["file"]] = record.get("positions") or []
    counts: dict[str, int] = {}
    listing: list[str] = []
    for fname, (gold, text) in arts.items():
        found = score.prepare_pred(preds.get(fname, []), text)
        for q in gold["quotes"]:
            best, best_sc = None, 0.0
            for p in found:
                sc = score.quote_match(q, p)
                if sc > best_sc:
                    best, best_sc = p, sc
            if best is None:
                continue
            speaker = best["speaker"] or ""
            unnamed = speaker.startswith("unnamed: ")
            kind = q["source_kind"]
            if kind in ("description", "none"):
                key = f"{kind} " + ("unnamed" if unnamed else "named" if speaker else "nobody")
                if key.endswith(" named") and score.speaker_matches(
                    speaker, q.get("source_name_modifiers") or []
                ):
                    key += " modifier"
            elif kind == "named" and unnamed:
                described = _DESCRIBED.match(q["source"] or "") is not None
                key = "named unnamed " + ("described" if described else "name")
            else:
                continue
            counts[key] = counts.get(key, 0) + 1
            if " named" in key or key.startswith("named "):
                where = f"{q['start']}-{q['end']}"
                listing.append(f"[{key}] {fname} @{where} gold {q['source']!r} -> {speaker!r}")
    errors.write_text("\n".join(listing) + "\n", encoding="utf-8")

    def of(kind: str) -> str:
        keys = ("named modifier", "named", "unnamed", "nobody")
        n = {k: counts.get(f"{kind} {k}", 0) for k in keys}
        return f"{kind} {sum(n.values())}: " + ", ".join(f"{v} {k}" for k, v in n.items())

    return (
        "\n== unnamed sources (found quotes whose gold source is a description or none)\n"
        f"  filed under: {of('description')}; {of('none')}\n"
        "  ('named modifier': the person the description names, 'a senior X adviser' -> X, "
        "always wrong; 'named': another named speaker, wrong unless the description stands "
        "for a named person, 'the longtime senator')\n"
        f"  named-source quotes filed under an unnamed label: "
        f"{counts.get('named unnamed name', 0)} named by a name, "
        f"{counts.get('named unnamed described', 0)} by a description holding a name "
        "(gold source opens with an article: 'the senior X adviser', 'an Iowa Democrat')\n"
        f"  cases listed in {errors}"
    )


if __name__ == "__main__":
    sys.exit(main())
