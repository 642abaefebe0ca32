"""Pages a hostile or broken server sends, shared by the fetch, hostile-input and bench code.

Routes for `botapi_stub.PageServer`; the bodies are built here once, in our own words.
"""

from __future__ import annotations

import gzip
import zlib

from botapi_stub import Route, article_html

FIFTY_MB = 50 * 1024 * 1024


def big(with_length: bool) -> Route:
    """50 MB of HTML, its length declared up front or streamed until the connection closes."""

    def route(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        if with_length:
            handler.send_header("Content-Length", str(FIFTY_MB))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        for _ in range(FIFTY_MB // len(chunk)):
            handler.wfile.write(chunk)

    return route


CONSENT_PAGE = """<html><head><title>Before you continue</title>
<script src="https://cdn.cookielaw.org/onetrust.js"></script></head><body>
<div id="onetrust-banner"><h1>We value your privacy</h1>
<p>We and our partners use cookies and similar technologies to store and access personal
data on your device, for personalised ads and content, ad and content measurement, audience
insights and product development. With your consent we may use precise geolocation data.
You can change your privacy settings at any time. Some partners rely on legitimate interest.</p>
<button>Accept all</button><button>Reject all</button><button>Manage preferences</button>
</div></body></html>"""

PAYWALL_PAGE = """<html><head><title>Budget row deepens</title>
<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}
</script></head><body><article><h1>Budget row deepens</h1>
<p>The finance minister faced questions on Monday over the spending plan, as opposition
parties demanded a vote before the summer recess and officials declined to comment.</p>
<p>This article is for subscribers only. Subscribe to continue reading.</p>
</article></body></html>"""


def compressed(data_mib: int, wbits: int) -> bytes:
    """`data_mib` MiB of zeros, deflated (wbits picks zlib, gzip or raw framing)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(data_mib)) + packer.flush()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def encoded(body: bytes, *encodings: str, kind: str = "text/html") -> Route:
    """A route that serves `body` as is, declaring each Content-Encoding given."""

    def route(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        for encoding in encodings:  # two values are two header lines
            handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


# 1.1 MB that trafilatura takes about 3 s to read (measured on this project's 2-core host)
SLOW_HTML = (
    "<html><body>"
    + "<div><p>The minister said the plan would work.</p></div>" * 20_000
    + "</body></html>"
)


def _nested(depth: int) -> str:
    return article_html().replace(
        "<article>", "<article>" + "<div><span>" * depth + "deep" + "</span></div>" * depth
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)

HOSTILE_HTML = {
    "scripts": article_html().replace(
        "<article>",
        "<article><script>document.cookie='x';" + "x=1;" * 100_000 + "</script>"
        "<style>p{display:none}</style><iframe src='javascript:alert(1)'></iframe>"
        "<img src=x onerror=alert(1)><noscript>enable javascript</noscript>",
    ),
    "nested-10000": _nested(10_000),
    "unclosed-10000": article_html().replace("<article>", "<article>" + "<b><i>" * 10_000),
    "amp-bomb": article_html().replace("<article>", "<article><p>" + "&amp;" * 300_000 + "</p>"),
    "numeric-bomb": article_html().replace(
        "<article>", "<article><p>" + "&#128512;&#x26;&#0;&#xFFFFFF;" * 60_000 + "</p>"
    ),
    "billion-laughs": BILLION_LAUGHS
    + article_html().replace("<article>", "<article><p>&lol9;</p>"),
}
