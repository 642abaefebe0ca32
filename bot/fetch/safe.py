"""Downloading a link a stranger sent without letting them reach our own network (SSRF).

Every hop of a redirect chain is resolved here, every address the name resolves to is
checked, and the connection goes to the checked address itself (the hostname stays in the
Host header and the TLS SNI), so a DNS answer that changes between check and connect
("rebinding") cannot slip a private address through.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import re
import socket
import ssl
import zlib
from collections.abc import Collection, Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from bot.fetch.extract import page_from_text
from bot.fetch.pool import ExtractionPool, shared
from bot.service.ports import FetchedPage, FetchError

log = logging.getLogger(__name__)

MAX_BYTES = 3 * 1024 * 1024
MAX_REDIRECTS = 5
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "Mozilla/5.0 (compatible; briefbot/0.1; +https://github.com/briefbot)"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
# Every global IPv6 allocation so far lies in 2000::/3; the rest of the space is reserved,
# local, multicast or a way of writing IPv4 (::/96, ::ffff:0:0:0/96, 64:ff9b:1::/48).
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
# Every special-purpose block of the IANA registries (RFC 6890 and later), refused whole even
# where `is_global` says otherwise: the Python 3.11 table misses several (fec0::/10, ::/96,
# 64:ff9b:1::/48), and none of them is where a news site lives. The anycast blocks that are
# "globally reachable" (AS112, AMT, 6to4 relays) serve no articles either.
SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96",  # IPv4-compatible (deprecated, RFC 4291), with :: and ::1
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): which IPv4 it reaches is local policy
        "100::/64", "2001::/23", "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20", "5f00::/16",
        "fc00::/7", "fe80::/10",
        "fec0::/10",  # site-local (deprecated, RFC 3879)
        "ff00::/8",
    )
)  # fmt: skip
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# one layer of these, undone here; httpx's own decoders inflate a whole read at once
ENCODINGS = ("gzip", "x-gzip", "deflate")
INFLATE_STEP = 64 * 1024
# What browsers decode (the WHATWG Encoding Standard), by Python's codec names. Any other
# declared charset is ignored: "rot13", "base64" and "hex" are not text encodings at all,
# "idna" fails on any error, and "punycode" takes time that grows with the square of the page.
WEB_ENCODINGS = frozenset(
    codecs.lookup(label).name
    for label in (
        "utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "latin-1", "ibm866",
        "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7",
        "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15",
        "iso-8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "cp1250",
        "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
        "gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr",
    )
)  # fmt: skip
TOO_LARGE = "That page is too large for me to read."
BAD_REDIRECT = "That link redirects to an address I can't open (only http:// and https://)."

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IPAddress) -> bool:
    """IPv4-mapped (::ffff:a.b.c.d), well-known NAT64 (64:ff9b::/96) and 6to4 addresses are
    judged by the IPv4 address inside, which is where the packet goes; Teredo lies in a
    refused block, and every other IPv6 form of IPv4 outside 2000::/3."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip not in GLOBAL_UNICAST_V6:
            return False
    if ip in METADATA or ip.is_multicast or not ip.is_global:
        return False
    if any(ip in block for block in SPECIAL_PURPOSE if block.version == ip.version):
        return False
    sixtofour = ip.sixtofour if isinstance(ip, ipaddress.IPv6Address) else None
    return sixtofour is None or is_public(sixtofour)


def _resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # scope ids ("fe80::1%eth0") are not part of the address we judge
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _charset(response: httpx.Response, body: bytes) -> str:
    declared = response.charset_encoding
    if not declared:
        match = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", body[:4096], re.IGNORECASE)
        declared = match[1].decode("ascii") if match else None
    try:
        name = codecs.lookup(declared).name if declared else "utf-8"
    except (LookupError, ValueError):
        return "utf-8"
    return name if name in WEB_ENCODINGS else "utf-8"


class _Inflater:
    """One gzip or deflate layer undone a slice at a time.

    No call returns more than `INFLATE_STEP` bytes, and none consumes more than one read
    from the socket, so neither memory nor event-loop time grows with the compression ratio:
    a 1,827-byte bomb costs what its first few megabytes cost, then it is refused.
    """

    def __init__(self, encoding: str) -> None:
        gzip = encoding in ("gzip", "x-gzip")
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzip else None
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            # "deflate" is zlib-wrapped by the RFC and raw from some servers; two bytes tell
            self._head += data
            if len(self._head) < 2:
                return
            wrapped = self._head[0] & 0x0F == 8 and int.from_bytes(self._head[:2]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data = self._head
        out = self._zlib.decompress(data, INFLATE_STEP)
        yield out
        # a full slice may leave output inside zlib even when all input was taken
        while len(out) == INFLATE_STEP or self._zlib.unconsumed_tail:
            out = self._zlib.decompress(self._zlib.unconsumed_tail, INFLATE_STEP)
            yield out


def _inflater(response: httpx.Response) -> _Inflater | None:
    """Stacked layers ("gzip, gzip") and codings we do not undo are refused, not guessed at."""
    header = response.headers.get("content-encoding", "")  # repeated headers come comma-joined
    layers = [c.strip().lower() for c in header.split(",")]
    layers = [c for c in layers if c and c != "identity"]
    if not layers:
        return None
    if len(layers) > 1 or layers[0] not in ENCODINGS:
        log.info("refused content-encoding %r", header)
        raise FetchError("That site sent the page packed in a way I don't read.")
    return _Inflater(layers[0])


class SafeFetcher:
    """The bot's `Fetcher`: timeouts, a redirect limit, a size cap, a content-type check.

    `allow_private_for_tests` lists "host:port" pairs that may be private; it exists so tests
    can serve pages from 127.0.0.1, and it is deliberately a constructor argument only, so no
    setting or environment variable can open the bot to the local network.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        total_timeout: float = 30.0,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        verify: ssl.SSLContext | bool = True,
        extractor: ExtractionPool | None = None,
        allow_private_for_tests: Collection[str] = (),
    ) -> None:
        self._timeout = httpx.Timeout(connect_timeout, read=read_timeout, pool=connect_timeout)
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._verify = verify
        self._extractor = extractor
        self._allowed_private = frozenset(allow_private_for_tests)
        self._client: httpx.AsyncClient | None = None

    async def fetch(self, url: str) -> FetchedPage:
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._fetch(url)
        except TimeoutError:
            raise FetchError("That site took too long to answer.") from None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # trust_env=False: a proxy from the environment would connect for us, unchecked.
            # A jar that accepts no cookie: one client serves every user, and a cookie one
            # user's link set must not ride along on another user's fetch.
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                verify=self._verify,
                follow_redirects=False,
                trust_env=False,
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,text/plain;q=0.8",
                    "Accept-Encoding": "gzip, deflate",
                },
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _fetch(self, url: str) -> FetchedPage:
        client = self._http()
        current = self._parse(url)
        seen: set[str] = set()
        for _ in range(self._max_redirects + 1):
            seen.add(str(current))
            try:
                response = await self._send(client, current)
                try:
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        current = self._redirect(current, response.headers["location"], seen)
                        continue
                    body = await self._body(response)
                finally:
                    await response.aclose()
            # the body is read inside too: a server can stall or break off mid-page
            except httpx.TimeoutException:
                raise FetchError("That site took too long to answer.") from None
            except httpx.HTTPError as exc:
                log.info("fetching %s failed: %r", current, exc)
                raise FetchError("I couldn't reach that site.") from None
            return await self._page(url, str(current), response, body)
        raise FetchError(f"That link redirects more than {self._max_redirects} times.")

    def _redirect(self, current: httpx.URL, location: str, seen: set[str]) -> httpx.URL:
        try:
            target = self._parse(str(current.join(location)))
        except httpx.InvalidURL:
            raise FetchError(BAD_REDIRECT) from None
        if str(target) in seen:
            raise FetchError("That link redirects in a loop.")
        return target

    def _parse(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchError("That doesn't look like a valid link.") from None
        if parsed.scheme not in ("http", "https"):
            raise FetchError("I only open http:// and https:// links.")
        if parsed.userinfo:
            raise FetchError("I don't open links that carry a user name or password.")
        if not parsed.host:
            raise FetchError("That doesn't look like a valid link.")
        return parsed

    async def _vetted_addresses(self, url: httpx.URL, port: int) -> list[IPAddress]:
        host = url.host
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = await asyncio.to_thread(_resolve, host, port)
            except (OSError, UnicodeError):
                raise FetchError(f"I couldn't find the site {host}.") from None
        if f"{host}:{port}" not in self._allowed_private and not all(map(is_public, addresses)):
            log.warning("refused %s: resolves to %s", url, ", ".join(map(str, addresses)))
            raise FetchError("That link points into a private network, so I won't open it.")
        # IPv4 first: many hosts publish AAAA records that are unreachable from servers
        return sorted(dict.fromkeys(addresses), key=lambda ip: ip.version)

    async def _send(self, client: httpx.AsyncClient, url: httpx.URL) -> httpx.Response:
        """Connect to a vetted address of `url`'s host, still naming the host in Host and SNI,
        trying the next address when one refuses the connection."""
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await self._vetted_addresses(url, port)
        headers = {"Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        failure: httpx.ConnectError | None = None
        for address in addresses:
            pinned = url.copy_with(host=str(address))
            request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
            try:
                return await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                log.info("%s unreachable at %s: %r", url.host, address, exc)
                failure = exc
            except httpx.InvalidURL:
                # httpx joins a redirect's Location (data:, javascript:) before we see it
                raise FetchError(BAD_REDIRECT) from None
        assert failure is not None  # getaddrinfo never answers with no address
        raise failure

    async def _body(self, response: httpx.Response) -> bytes:
        if response.status_code == 404 or response.status_code == 410:
            raise FetchError("That page doesn't exist (the site answered 'not found').")
        if response.status_code in (401, 402, 403):
            raise FetchError("That site refused to show me the page; it may need a login.")
        if response.status_code == 429:
            raise FetchError("That site is rate-limiting me; please try again later.")
        if response.status_code >= 400:
            raise FetchError(f"That site answered with an error ({response.status_code}).")
        kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind not in ACCEPTED_TYPES:
            raise FetchError(
                f"That link is not a web page ({kind or 'unknown type'}); send an article link."
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(TOO_LARGE)
        inflater = _inflater(response)
        chunks: list[bytes] = []
        size = 0
        try:
            async for raw in response.aiter_raw():
                for piece in inflater.feed(raw) if inflater else (raw,):
                    size += len(piece)
                    if size > self._max_bytes:  # counted after inflating: what we hold
                        raise FetchError(TOO_LARGE)
                    chunks.append(piece)
                    await asyncio.sleep(0)  # one slice at a time, other chats in between
        except zlib.error:
            raise FetchError("That site sent a damaged compressed page.") from None
        return b"".join(chunks)

    async def _page(
        self, url: str, final_url: str, response: httpx.Response, body: bytes
    ) -> FetchedPage:
        text = await asyncio.to_thread(body.decode, _charset(response, body), "replace")
        kind = response.headers["content-type"].split(";", 1)[0].strip().lower()
        page: FetchedPage | None
        if kind == "text/plain":
            page = await asyncio.to_thread(page_from_text, text, url=url, final_url=final_url)
        else:
            # lxml may run for a minute on a page built for it; only a process can be stopped
            page = await (self._extractor or shared()).extract(text, final_url)
        if page is None:
            raise FetchError("I found no article text on that page.")
        return page.model_copy(update={"url": url, "final_url": final_url})
