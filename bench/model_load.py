"""Time and memory of loading the local model, as the bot does when it starts.

    BRIEFBOT_MODEL_CACHE=/tmp/cache .venv/bin/python bench/model_load.py            # one load
    BRIEFBOT_MODEL_CACHE=/tmp/cache .venv/bin/python bench/model_load.py --profile  # where it goes

The first run on an empty cache also assembles the packaged model and quantises it (the
first start); later runs load the kept int8 model (every start after). Prints the load
average too: the machine is shared and single runs are noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

from rss import rss_now, rss_peak


def main() -> None:
    from bot.settings import load_settings

    settings = load_settings()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default=settings.model)
    p.add_argument("--profile", action="store_true", help="print the calls the time went to")
    args = p.parse_args()

    print(f"load average {os.getloadavg()[0]:.2f} before, cache {settings.model_cache}")
    profile = cProfile.Profile() if args.profile else None
    t0 = time.perf_counter()
    if profile:
        profile.enable()
    from summarizer.model.loader import load_generator

    gen = load_generator(args.model, cache_dir=settings.model_cache)
    if profile:
        profile.disable()
    load_s = time.perf_counter() - t0
    print(
        f"model {gen.name}  load {load_s:.1f} s (imports included)  RSS {rss_now():.2f} GiB  "
        f"peak RSS {rss_peak():.2f} GiB  load average {os.getloadavg()[0]:.2f} after"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
