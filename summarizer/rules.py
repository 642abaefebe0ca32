"""Which edition of the attribution rules an analysis was read under.

Positions are stored once and read back for every /positions, /stance and briefing, so a
rule fixed later (a speaker "Twitter" that is no person) stayed wrong in every article
stored before the fix. Each stored analysis keeps the edition it was read under; one read
under another is read again from its stored text (`pipeline.reread`), which is cheap next
to the model's lines, which are kept where they still hold.

The edition is a hash of the code and the word lists positions are read with, so a change
to either is noticed without anyone remembering to bump a number; `EDITION` is for a change
neither shows (a new spaCy model under the same code).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

EDITION = 1

# The modules whose code decides who said what, and the loaded phrases `pipeline.read`
# finds beside them, and the checks a stored stance line is held to again (`pipeline.reread`);
# the word lists of `summarizer/data/` are read whole (a list only other rules read costs a
# needless re-read, never a stale position).
POSITIONS_CODE = (
    "checks.py",
    "loaded.py",
    "names.py",
    "nlp.py",
    "positions.py",
    "segment.py",
    "speakers.py",
    "stance.py",
    "support.py",
    "wordlists.py",
)


@cache
def positions_rules() -> str:
    """The current edition: `EDITION`, then a short hash of the code and the word lists."""
    package = files("summarizer")
    data = sorted((package / "data").iterdir(), key=lambda entry: entry.name)
    digest = hashlib.sha256(str(EDITION).encode())
    for entry in [*(package / name for name in POSITIONS_CODE), *data]:
        digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return f"{EDITION}-{digest.hexdigest()[:16]}"
