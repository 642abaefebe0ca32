"""SafeFetcher against a real HTTP server on 127.0.0.1: what it reads, and what it refuses."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import os
import shutil
import ssl
import subprocess
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable
from datetime import date
from pathlib import Path

import pytest
from botapi_stub import ARTICLE_PARAGRAPHS, PageServer, Route, article_html, page, redirect
from httpcore._backends.auto import AutoBackend

from bot.fetch.pool import MAX_HTML_CHARS, ExtractionPool
from bot.fetch.safe import SafeFetcher, is_public
from bot.service.ports import FetchError

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connect httpx makes; a tripwire so no test can reach beyond loopback even if
    the fetcher's own check were broken."""
    made: list[tuple[str, int]] = []
    real = AutoBackend.connect_tcp

    async def guarded(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert ipaddress.ip_address(host).is_loopback, f"a test tried to connect to {host}"
        made.append((host, port))
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(AutoBackend, "connect_tcp", guarded)
    return made


def _big(with_length: bool):  # type: ignore[no-untyped-def]
    def route(handler):  # type: ignore[no-untyped-def]
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


def _slow(handler):  # type: ignore[no-untyped-def]
    time.sleep(2)
    handler.reply(200, article_html().encode(), "text/html")


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


@pytest.fixture
def other_site():  # type: ignore[no-untyped-def]
    """A second local server the fetcher must never be allowed to reach."""
    server = PageServer({"/": page(article_html())})
    yield server
    server.close()


@pytest.fixture
def site(other_site: PageServer):  # type: ignore[no-untyped-def]
    other = other_site.host_port.split(":")[1]
    chain = {f"/chain{i}": redirect(f"/chain{i + 1}") for i in range(10)}
    server = PageServer(
        {
            "/article": page(article_html()),
            "/plain": page("\n\n".join(ARTICLE_PARAGRAPHS), "text/plain; charset=utf-8"),
            "/moved": redirect("/article", 301),
            "/loop-a": redirect("/loop-b"),
            "/loop-b": redirect("/loop-a"),
            **chain,
            "/to-loopback": redirect(f"http://127.0.0.1:{other}/"),
            "/to-localhost": redirect(f"http://localhost:{other}/"),
            "/to-v6-loopback": redirect(f"http://[::1]:{other}/"),
            "/to-mapped": redirect(f"http://[::ffff:127.0.0.1]:{other}/"),
            "/to-unspecified": redirect(f"http://0.0.0.0:{other}/"),
            "/to-private": redirect("http://10.0.0.1/"),
            "/to-cgnat": redirect("http://100.64.0.1/"),
            "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-metadata-v6": redirect("http://[fd00:ec2::254]/"),
            "/to-ftp": redirect("ftp://example.org/file"),
            "/big-declared": _big(with_length=True),
            "/big-streamed": _big(with_length=False),
            "/report.pdf": page(b"%PDF-1.7\n...", "application/pdf"),
            "/photo.png": page(b"\x89PNG\r\n\x1a\n", "image/png"),
            "/consent": page(CONSENT_PAGE),
            "/paywall": page(PAYWALL_PAGE),
            "/short": page("<html><body><article><p>Live updates to follow.</p></article>"),
            "/gone": page("<h1>Gone</h1>", status=404),
            "/slow": _slow,
        }
    )
    yield server
    server.close()


@pytest.fixture
async def fetcher(site: PageServer):  # type: ignore[no-untyped-def]
    fetcher = SafeFetcher(read_timeout=0.5, allow_private_for_tests={site.host_port})
    yield fetcher
    await fetcher.aclose()


async def refused(fetcher: SafeFetcher, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    return caught.value.user_message


async def test_article_is_fetched_and_extracted(fetcher: SafeFetcher, site: PageServer) -> None:
    fetched = await fetcher.fetch(site.url("/article"))
    assert fetched.title == "Council expands night buses"
    assert fetched.outlet == "The Local Ledger"
    assert fetched.published == date(2026, 3, 14)
    assert "backbone of this city" in fetched.text
    assert "Copyright" not in fetched.text and "Home" not in fetched.text


async def test_plain_text_page(fetcher: SafeFetcher, site: PageServer) -> None:
    fetched = await fetcher.fetch(site.url("/plain"))
    assert fetched.text.startswith("The city council voted")


async def test_redirect_is_followed_and_final_url_kept(
    fetcher: SafeFetcher, site: PageServer, connections: list[tuple[str, int]]
) -> None:
    fetched = await fetcher.fetch(site.url("/moved"))
    assert fetched.url == site.url("/moved")
    assert fetched.final_url == site.url("/article")
    assert all(host == "127.0.0.1" for host, _ in connections)


async def test_redirect_loop_and_long_chain_refused(fetcher: SafeFetcher, site: PageServer) -> None:
    assert "loop" in await refused(fetcher, site.url("/loop-a"))
    assert "more than 5 times" in await refused(fetcher, site.url("/chain0"))
    assert "/chain6" not in site.requests


@pytest.mark.parametrize(
    "path",
    [
        "/to-loopback",
        "/to-localhost",
        "/to-v6-loopback",
        "/to-mapped",
        "/to-unspecified",
        "/to-private",
        "/to-cgnat",
        "/to-metadata",
        "/to-metadata-v6",
    ],
)
async def test_redirect_into_private_network_refused_before_connecting(
    fetcher: SafeFetcher,
    site: PageServer,
    other_site: PageServer,
    connections: list[tuple[str, int]],
    path: str,
) -> None:
    message = await refused(fetcher, site.url(path))
    assert message == "That link points into a private network, so I won't open it."
    assert other_site.requests == []
    assert {f"{h}:{p}" for h, p in connections} == {site.host_port}


async def test_direct_private_link_and_bad_schemes_refused(
    fetcher: SafeFetcher, other_site: PageServer, connections: list[tuple[str, int]]
) -> None:
    assert "private network" in await refused(fetcher, other_site.url("/"))
    assert "private network" in await refused(fetcher, "http://2130706433/")  # 127.0.0.1
    assert "http://" in await refused(fetcher, "file:///etc/passwd")
    assert "user name" in await refused(fetcher, f"http://user:pw@{other_site.host_port}/")
    assert connections == [] and other_site.requests == []


async def test_redirect_to_other_scheme_refused(fetcher: SafeFetcher, site: PageServer) -> None:
    assert "http://" in await refused(fetcher, site.url("/to-ftp"))


@pytest.mark.parametrize("path", ["/big-declared", "/big-streamed"])
async def test_size_cap(fetcher: SafeFetcher, site: PageServer, path: str) -> None:
    started = time.monotonic()
    assert "too large" in await refused(fetcher, site.url(path))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("path", "kind"), [("/report.pdf", "pdf"), ("/photo.png", "image")])
async def test_non_pages_refused(
    fetcher: SafeFetcher, site: PageServer, path: str, kind: str
) -> None:
    assert "not a web page" in (message := await refused(fetcher, site.url(path)))
    assert kind in message


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/consent", "cookie-consent page"),
        ("/paywall", "paywall"),
        ("/short", "only a few lines"),
        ("/gone", "doesn't exist"),
    ],
)
async def test_pages_that_are_not_articles(
    fetcher: SafeFetcher, site: PageServer, path: str, words: str
) -> None:
    assert words in await refused(fetcher, site.url(path))


async def test_slow_server_times_out(fetcher: SafeFetcher, site: PageServer) -> None:
    started = time.monotonic()
    assert "too long" in await refused(fetcher, site.url("/slow"))
    assert time.monotonic() - started < 1.5


def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp / f"{name}.pem", tmp / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(("cert_name", "works"), [("localhost", True), ("elsewhere.test", False)])
async def test_https_is_pinned_yet_verifies_the_hostname(
    tmp_path: Path, connections: list[tuple[str, int]], cert_name: str, works: bool
) -> None:
    """The connection goes to the vetted IP, and TLS still checks the certificate against the
    name in the link (SNI), so pinning never weakens verification."""
    cert, key = _certificate(tmp_path, cert_name)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server = PageServer({"/article": page(article_html())}, tls=server_tls)
    port = server.host_port.split(":")[1]
    fetcher = SafeFetcher(
        verify=ssl.create_default_context(cafile=str(cert)),
        allow_private_for_tests={f"localhost:{port}"},
    )
    try:
        if works:
            fetched = await fetcher.fetch(f"https://localhost:{port}/article")
            assert fetched.title == "Council expands night buses"
        else:
            assert "couldn't reach" in await refused(fetcher, f"https://localhost:{port}/article")
        assert connections[0][0] == "127.0.0.1"
    finally:
        await fetcher.aclose()
        server.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


# ---------------------------------------------------------------------------------------
# issue 16: every special-purpose address block, and IPv4 hidden inside IPv6


def _registry_blocks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """What `ipaddress` itself knows as special (private, reserved, link-local, multicast,
    site-local, shared), plus the IANA special-purpose registries (RFC 6890, 8215, 3879 and
    later) that Python 3.11's tables miss."""
    found: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for constants in (ipaddress._IPv4Constants, ipaddress._IPv6Constants):  # type: ignore[attr-defined]
        for name, value in vars(constants).items():
            if name.endswith("_networks"):
                found += value
            elif name.endswith("_network") and name != "_public_network":
                found.append(value)
    found.append(ipaddress.ip_network("100.64.0.0/10"))
    found += map(
        ipaddress.ip_network,
        [
            "192.0.0.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
            "192.175.48.0/24", "::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64",
            "2001::/23", "2001:1::1/128", "2001:4:112::/48", "2001:20::/28", "2001:30::/28",
            "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fec0::/10",
        ],
    )  # fmt: skip
    return found


SPECIAL_ADDRESSES = sorted(
    {
        str(address)
        for block in _registry_blocks()
        for address in (block[0], block[-1], block[block.num_addresses // 2])
        if not (block.version == 6 and address.ipv4_mapped)  # judged by their IPv4 below
    }
)
PRIVATE_V4 = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "0.0.0.0", "100.64.0.1"]


def _embeddings(v4: str) -> list[str]:
    """Every way an IPv6 address can name an IPv4 one."""
    n = int(ipaddress.IPv4Address(v4))
    return [
        str(ipaddress.IPv6Address(prefix | n))
        for prefix in (
            0xFFFF << 32,  # IPv4-mapped ::ffff:a.b.c.d
            0,  # IPv4-compatible ::a.b.c.d
            0xFFFF << 48,  # IPv4-translated ::ffff:0:a.b.c.d
            int(ipaddress.IPv6Address("64:ff9b::")),  # NAT64, well-known
            int(ipaddress.IPv6Address("64:ff9b:1::")),  # NAT64, local use
        )
    ] + [
        str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80))),  # 6to4
        str(ipaddress.IPv6Address((0x20010000 << 96) | (n ^ 0xFFFFFFFF))),  # Teredo
    ]


@pytest.mark.parametrize(
    "address", SPECIAL_ADDRESSES + [e for v4 in PRIVATE_V4 for e in _embeddings(v4)]
)
def test_every_special_purpose_address_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_ipv4_inside_ipv6_stays_reachable(address: str) -> None:
    """NAT64 is how an IPv6-only server reaches IPv4 sites; mapped forms come from dual-stack
    resolvers. Refusing the block would refuse every site for those servers."""
    assert is_public(ipaddress.ip_address(address))


# ---------------------------------------------------------------------------------------
# issue 16: compressed bombs, odd encodings, and servers that break off


def _compressed(data_mib: int, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(data_mib)) + packer.flush()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def _encoded(body: bytes, *encodings: str, kind: str = "text/html") -> Route:
    def route(handler):  # type: ignore[no-untyped-def]
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        for encoding in encodings:  # two values are two header lines
            handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


@pytest.fixture(scope="module")
def bombs() -> dict[str, Route]:
    """64 MiB of zeros as 65 KB of gzip (and 270 bytes of gzip-in-gzip), deflate both ways."""
    gzipped = _compressed(64, 31)
    return {
        "/bomb-gzip": _encoded(gzipped, "gzip"),
        "/bomb-deflate": _encoded(_compressed(64, 15), "deflate"),
        "/bomb-raw-deflate": _encoded(_compressed(64, -15), "deflate"),
        "/bomb-gzip-gzip": _encoded(_gzip(gzipped), "gzip, gzip"),
        "/bomb-gzip-twice": _encoded(_gzip(gzipped), "gzip", "gzip"),
    }


@pytest.fixture
def bomb_site(bombs: dict[str, Route]):  # type: ignore[no-untyped-def]
    server = PageServer(bombs)
    yield server
    server.close()


async def _peak_bytes(work: Awaitable[str]) -> tuple[str, int]:
    tracemalloc.start()
    try:
        return await work, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/bomb-gzip", "too large"),
        ("/bomb-deflate", "too large"),
        ("/bomb-raw-deflate", "too large"),
        ("/bomb-gzip-gzip", "packed in a way I don't read"),
        ("/bomb-gzip-twice", "packed in a way I don't read"),
    ],
)
async def test_compression_bomb_is_refused_holding_little_memory(
    bomb_site: PageServer, path: str, words: str
) -> None:
    """The size cap counts inflated bytes as they come, one 64 KiB slice at a time, so a
    64 MiB bomb costs about the cap (3 MiB), not 64 MiB at once."""
    fetcher = SafeFetcher(allow_private_for_tests={bomb_site.host_port})
    try:
        message, peak = await _peak_bytes(refused(fetcher, bomb_site.url(path)))
    finally:
        await fetcher.aclose()
    assert words in message
    assert peak < 16 * 1024 * 1024, f"{peak:,} bytes held at once"


ARTICLE = article_html().encode()


@pytest.mark.parametrize(
    ("body", "encodings"),
    [
        (_gzip(ARTICLE), ("gzip",)),
        (_gzip(ARTICLE), ("x-gzip",)),
        (zlib.compress(ARTICLE), ("deflate",)),
        (zlib.compress(ARTICLE)[2:-4], ("deflate",)),  # raw deflate, as IIS sends it
        (ARTICLE, ("identity",)),
        (_gzip(ARTICLE), ("identity", "GZIP")),
    ],
    ids=["gzip", "x-gzip", "deflate", "raw-deflate", "identity", "identity-then-gzip"],
)
async def test_compressed_pages_are_read(body: bytes, encodings: tuple[str, ...]) -> None:
    server = PageServer({"/a": _encoded(body, *encodings)})
    fetcher = SafeFetcher(allow_private_for_tests={server.host_port})
    try:
        fetched = await fetcher.fetch(server.url("/a"))
    finally:
        await fetcher.aclose()
        server.close()
    assert fetched.title == "Council expands night buses"


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (_encoded(_gzip(ARTICLE), "br"), "packed in a way I don't read"),
        (_encoded(_gzip(ARTICLE), "zstd"), "packed in a way I don't read"),
        (_encoded(_gzip(ARTICLE), "compress"), "packed in a way I don't read"),
        (_encoded(_gzip(ARTICLE), "x-custom"), "packed in a way I don't read"),
        (_encoded(b"\x1f\x8b\x08\x00 not really gzip" * 10, "gzip"), "damaged compressed page"),
        (_encoded(b"\x78\x9c garbage" * 10, "deflate"), "damaged compressed page"),
    ],
    ids=["br", "zstd", "compress", "unknown", "bad-gzip", "bad-deflate"],
)
async def test_unknown_or_broken_encodings_get_a_sentence(route: Route, words: str) -> None:
    """httpx skipped codings it did not know (the packed bytes went to the parser as a
    page), and a damaged gzip stream raised httpx.DecodingError out of the fetcher."""
    server = PageServer({"/a": route})
    fetcher = SafeFetcher(allow_private_for_tests={server.host_port})
    try:
        assert words in await refused(fetcher, server.url("/a"))
    finally:
        await fetcher.aclose()
        server.close()


def _stalls_mid_page(handler):  # type: ignore[no-untyped-def]
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(ARTICLE)))
    handler.end_headers()
    handler.wfile.write(ARTICLE[:500])
    handler.wfile.flush()
    time.sleep(2)


def _cut_off(handler):  # type: ignore[no-untyped-def]
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(ARTICLE) * 2))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(ARTICLE)
    handler.close_connection = True


def _bad_chunks(handler):  # type: ignore[no-untyped-def]
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(b"10\r\n<html><body><p>hi\r\nzz-not-a-size\r\n")
    handler.close_connection = True


def _gzip_transfer(handler):  # type: ignore[no-untyped-def]
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "gzip, chunked")
    handler.end_headers()
    body = _gzip(ARTICLE)
    handler.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (_stalls_mid_page, "took too long"),
        (_cut_off, "couldn't reach"),
        (_bad_chunks, "couldn't reach"),
        (_gzip_transfer, "couldn't reach"),
    ],
    ids=["stalls", "cut-off", "bad-chunks", "gzip-transfer-encoding"],
)
async def test_server_breaking_off_mid_page_gets_a_sentence(route: Route, words: str) -> None:
    """Reading the body raised httpx's ReadTimeout / RemoteProtocolError out of the fetcher
    (only the headers were inside its error handling)."""
    server = PageServer({"/a": route})
    fetcher = SafeFetcher(read_timeout=0.5, allow_private_for_tests={server.host_port})
    try:
        assert words in await refused(fetcher, server.url("/a"))
    finally:
        await fetcher.aclose()
        server.close()


@pytest.mark.parametrize(
    "charset", ["rot13", "base64", "hex", "punycode", "idna", "zlib", "no-such-charset"]
)
@pytest.mark.parametrize("where", ["header", "meta"])
async def test_charsets_that_are_not_web_text_encodings_fall_back_to_utf8(
    charset: str, where: str
) -> None:
    """`rot13`, `base64` and `hex` are codecs but not text encodings: decoding raised
    LookupError out of the fetcher; `punycode` and `idna` raised UnicodeError."""
    html = article_html().replace('<meta charset="utf-8">', "")
    if where == "meta":
        route = page(html.replace("<head>", f'<head><meta charset="{charset}">'), "text/html")
    else:
        route = page(html.encode(), f"text/html; charset={charset}")
    server = PageServer({"/a": route})
    fetcher = SafeFetcher(allow_private_for_tests={server.host_port})
    try:
        fetched = await fetcher.fetch(server.url("/a"))
    finally:
        await fetcher.aclose()
        server.close()
    assert "backbone of this city" in fetched.text


@pytest.mark.parametrize(
    "location",
    ["data:text/html,<p>an article</p>", "data:text/html;base64,PHA+", "javascript:alert(1)"],
)
async def test_redirect_to_data_or_javascript_gets_a_sentence(location: str) -> None:
    """httpx joins the Location before returning the response, and raised InvalidURL
    (not an HTTPError) out of the fetcher."""
    server = PageServer({"/a": redirect(location)})
    fetcher = SafeFetcher(allow_private_for_tests={server.host_port})
    try:
        assert "only http:// and https://" in await refused(fetcher, server.url("/a"))
    finally:
        await fetcher.aclose()
        server.close()


async def test_no_cookie_travels_from_one_fetch_to_the_next() -> None:
    """One client serves every user: a cookie set on Alice's fetch went out on Bob's."""
    cookies_seen: list[str | None] = []

    def sets_cookie(handler):  # type: ignore[no-untyped-def]
        cookies_seen.append(handler.headers.get("Cookie"))
        handler.reply(200, ARTICLE, "text/html", **{"Set-Cookie": "session=alice; Path=/"})

    server = PageServer({"/a": sets_cookie, "/b": sets_cookie})
    fetcher = SafeFetcher(allow_private_for_tests={server.host_port})
    try:
        await fetcher.fetch(server.url("/a"))
        await fetcher.fetch(server.url("/b"))
    finally:
        await fetcher.aclose()
        server.close()
    assert cookies_seen == [None, None]


# ---------------------------------------------------------------------------------------
# issue 16: extraction in a worker process that is killed at its time limit

# 1.1 MB that trafilatura takes about 3 s to read (measured on this project's 2-core host)
SLOW_HTML = (
    "<html><body>"
    + "<div><p>The minister said the plan would work.</p></div>" * 20_000
    + "</body></html>"
)


def worker_pids() -> set[int]:
    """This process's children now: the extraction workers among them."""
    tasks = Path(f"/proc/{os.getpid()}/task").iterdir()
    return {int(pid) for task in tasks for pid in (task / "children").read_text().split()}


@pytest.fixture
async def quick_pool() -> AsyncIterator[ExtractionPool]:
    pool = ExtractionPool(workers=1, time_limit_s=0.3)
    yield pool
    await asyncio.to_thread(pool.close)


async def test_slow_page_is_stopped_at_the_time_limit_and_its_worker_killed(
    quick_pool: ExtractionPool,
) -> None:
    """A thread could only be abandoned, still parsing; the worker process is killed, and
    the next page gets a fresh one."""
    server = PageServer({"/slow": page(SLOW_HTML), "/article": page(article_html())})
    fetcher = SafeFetcher(extractor=quick_pool, allow_private_for_tests={server.host_port})
    try:
        before = worker_pids()
        assert (await fetcher.fetch(server.url("/article"))).title
        (worker,) = worker_pids() - before
        assert "takes me too long to read" in await refused(fetcher, server.url("/slow"))
        assert worker not in worker_pids()
        assert (await fetcher.fetch(server.url("/article"))).title
        assert len(worker_pids() - before) == 1
    finally:
        await fetcher.aclose()
        server.close()


async def test_parser_input_is_capped(quick_pool: ExtractionPool) -> None:
    with pytest.raises(FetchError, match="too large"):
        await quick_pool.extract("<p>" + "x" * MAX_HTML_CHARS, None)
