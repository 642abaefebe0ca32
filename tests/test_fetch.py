"""SafeFetcher against a real HTTP server on 127.0.0.1: what it reads, and what it refuses."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from botapi_stub import ARTICLE_PARAGRAPHS, PageServer, article_html, page, redirect
from httpcore._backends.auto import AutoBackend

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
