"""Named positions on real news: `../shared/realnews/` scored by its own `score.py`.

Run: .venv/bin/python bench/realnews.py [--split tune|holdout|all] [--errors FILE]

The rules are tuned on the months up to 2016-06 (`tune`) and reported on 2016-07/08
(`holdout`), so the holdout figures say how they generalise. The articles are third-party
text and stay in `../shared`; this script only reads them, runs
`briefbot analyze --json --no-model` on them (the JSON contract the scorer reads) and hands
the lines to the corpus's scorer, which prints the table and writes the error listing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

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
        return subprocess.run(score, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
