"""Article text out of a web page, and the refusal to summarise what is not an article.

A model will happily summarise a cookie banner or a paywall teaser; saying "that page is
behind a paywall" is more useful to the reader than a neutral summary of a login prompt.
"""

from __future__ import annotations

import logging
import re
from datetime import date

import trafilatura

from bot.service.ports import FetchedPage, FetchError

log = logging.getLogger(__name__)

MIN_WORDS = 80
# below this many words a teaser with a paywall or consent signal is taken to be only that
TEASER_WORDS = 250

PAYWALL_JSONLD = re.compile(r'"isAccessibleForFree"\s*:\s*"?false"?', re.IGNORECASE)
PAYWALL_PHRASES = (
    "subscribe to continue",
    "subscribe to read",
    "to continue reading",
    "already a subscriber",
    "subscribers only",
    "for subscribers",
    "sign in to read",
    "log in to continue",
    "create a free account to continue",
    "start your subscription",
)
CONSENT_PHRASES = (
    "cookie",
    "consent",
    "accept all",
    "reject all",
    "manage preferences",
    "privacy settings",
    "legitimate interest",
    "our partners",
    "personal data",
)
CONSENT_MARKERS = (
    "onetrust",
    "cookiebot",
    "didomi",
    "quantcast",
    "usercentrics",
    "consentmanager",
    "sp_message_container",
    "fc-consent",
    "truste",
)

PAYWALL = "That article is behind a paywall; if you can read it, paste its text instead."
CONSENT = (
    "That link showed me a cookie-consent page instead of the article; paste the article"
    " text instead."
)
TOO_SHORT = (
    "I found only a few lines of text on that page, not a whole article; paste the text instead."
)


def _words(text: str) -> int:
    return len(text.split())


def _check(text: str, html: str = "") -> None:
    """Raise the one sentence that says why this text is not an article worth analysing."""
    words = _words(text)
    lowered = text.lower()
    if words < TEASER_WORDS:
        if PAYWALL_JSONLD.search(html) or any(p in lowered for p in PAYWALL_PHRASES):
            raise FetchError(PAYWALL)
        consent_hits = sum(p in lowered for p in CONSENT_PHRASES)
        html_lowered = html.lower()
        if consent_hits >= 2 or (
            words < MIN_WORDS and any(m in html_lowered for m in CONSENT_MARKERS)
        ):
            raise FetchError(CONSENT)
    if words < MIN_WORDS:
        raise FetchError(TOO_SHORT)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def extract_html(html: str, url: str | None) -> FetchedPage | None:
    """None when the page holds no text at all; FetchError when it holds the wrong text."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (getattr(document, "text", None) or "").strip()
    if document is None or isinstance(document, dict) or not text:
        if PAYWALL_JSONLD.search(html):
            raise FetchError(PAYWALL)
        return None
    _check(text, html)
    return FetchedPage(
        url=url or "",
        final_url=url or "",
        title=document.title,
        outlet=document.sitename or document.hostname,
        published=_date(document.date),
        text=text,
    )


def page_from_text(text: str, *, url: str, final_url: str) -> FetchedPage:
    text = text.strip()
    _check(text)
    return FetchedPage(url=url, final_url=final_url, text=text)
