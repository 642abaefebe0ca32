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
from collections.abc import Collection

import httpx

from bot.fetch.extract import extract_html, page_from_text
from bot.service.ports import FetchedPage, FetchError

log = logging.getLogger(__name__)

MAX_BYTES = 3 * 1024 * 1024
MAX_REDIRECTS = 5
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "Mozilla/5.0 (compatible; briefbot/0.1; +https://github.com/briefbot)"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
REDIRECTS = {301, 302, 303, 307, 308}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """IPv6 forms that carry an IPv4 address, which is what the packet would really reach."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """`is_global` already excludes loopback, private, link-local, CGNAT, reserved, unspecified."""
    if ip in METADATA or ip.is_multicast or not ip.is_global:
        return False
    inner = _embedded_v4(ip)
    return inner is None or is_public(inner)


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
        return codecs.lookup(declared).name if declared else "utf-8"
    except LookupError:
        return "utf-8"


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
        allow_private_for_tests: Collection[str] = (),
    ) -> None:
        self._timeout = httpx.Timeout(connect_timeout, read=read_timeout, pool=connect_timeout)
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._verify = verify
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
            # trust_env=False: a proxy from the environment would connect for us, unchecked
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                verify=self._verify,
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.8"},
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
            except httpx.TimeoutException:
                raise FetchError("That site took too long to answer.") from None
            except httpx.HTTPError as exc:
                log.info("fetching %s failed: %r", current, exc)
                raise FetchError("I couldn't reach that site.") from None
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    target = self._parse(str(current.join(response.headers["location"])))
                    if str(target) in seen:
                        raise FetchError("That link redirects in a loop.")
                    current = target
                    continue
                body = await self._body(response)
            finally:
                await response.aclose()
            # trafilatura parses for a while on big pages; keep the event loop free
            return await asyncio.to_thread(self._page, url, str(current), response, body)
        raise FetchError(f"That link redirects more than {self._max_redirects} times.")

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
            raise FetchError("That page is too large for me to read.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchError("That page is too large for me to read.")
            chunks.append(chunk)
        return b"".join(chunks)

    def _page(self, url: str, final_url: str, response: httpx.Response, body: bytes) -> FetchedPage:
        text = body.decode(_charset(response, body), errors="replace")
        kind = response.headers["content-type"].split(";", 1)[0].strip().lower()
        if kind == "text/plain":
            page = page_from_text(text, url=url, final_url=final_url)
        else:
            page = extract_html(text, final_url)
        if page is None:
            raise FetchError("I found no article text on that page.")
        return page.model_copy(update={"url": url, "final_url": final_url})
