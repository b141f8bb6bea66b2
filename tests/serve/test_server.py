"""`planner serve` locked by default (issue 13): the token check at the HTTP and websocket level
against a real server on a loopback port, the wrong-token limit, the tab limit, closing a tab, and
a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time

import aiohttp

from .conftest import alive, run


async def fetch(url: str, *, headers: dict | None = None, source: str | None = None) -> tuple[int, dict, str, object]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else None
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            return response.status, dict(response.headers), await response.text(), response.cookies


async def ws_refused(url: str, *, headers: dict | None = None) -> int | None:
    """The HTTP status a websocket handshake is refused with, or None when it opens."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return None
        except aiohttp.WSServerHandshakeError as error:
            return error.status


class Tab:
    """A browser tab as the server sees it: one websocket, the app's screen as bytes."""

    def __init__(self, url: str, headers: dict | None = None) -> None:
        self.url, self.headers = url, headers
        self.screen = b""

    async def __aenter__(self) -> Tab:
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        self.ws = await self.session.ws_connect(self.url, headers=self.headers)
        return self

    async def wait_for(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.screen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} never appeared in the tab"
            try:
                message = await self.ws.receive(timeout=remaining)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                self.screen += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                raise AssertionError(f"the tab closed before {text!r} appeared")

    async def type(self, keys: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", keys]))

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()

    async def __aexit__(self, *exc) -> None:
        await self.close()


def ws_url(served, **query: str) -> str:
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"{served.url.replace('http://', 'ws://')}ws?width=120&height=40{extra}"


def test_http_without_the_right_token_gets_401_and_starts_no_app(start_server):
    served = start_server()
    url = served.url

    async def check() -> None:
        for path in ("", "static/js/textual.js", "download/0123abcd", "ws", "?token=wrong", "?token="):
            status, headers, body, cookies = await fetch(url + path)
            assert status == 401, path
            assert "locked" in body and served.token not in body
            assert headers["WWW-Authenticate"].startswith("Bearer")
            assert served.cookie_name not in cookies
        # The right token is traded for a cookie and taken out of the address.
        status, headers, _, cookies = await fetch(f"{url}?token={served.token}&fontsize=12")
        assert status == 303 and headers["Location"] == "/?fontsize=12"
        cookie = cookies[served.cookie_name]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie.value != served.token
        session = {"Cookie": f"{served.cookie_name}={cookie.value}"}
        status, headers, body, _ = await fetch(url, headers=session)
        assert status == 200 and "textual.js" in body and "Funnel planner" in body
        assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Frame-Options"] == "DENY"
        assert (await fetch(url + "static/js/textual.js", headers=session))[0] == 200
        assert (await fetch(url, headers={"Authorization": f"Bearer {served.token}"}))[0] == 200
        # A wrong (stale) cookie is refused and cleared, so the browser tries it once only.
        status, _, _, cookies = await fetch(url, headers={"Cookie": f"{served.cookie_name}={'0' * 64}"})
        assert status == 401 and cookies[served.cookie_name].value == ""

    run(check())
    assert served.app_processes() == []  # no page load, right or wrong, starts an app

    import subprocess
    import sys

    from .conftest import serve_env

    second = subprocess.run(
        [sys.executable, "-m", "planner", "--db", str(served.db), "serve", "--port", str(served.port)],
        capture_output=True, text=True, env=serve_env(served.home), timeout=30,
    )
    assert second.returncode == 1 and second.stderr.startswith(f"planner: port {served.port} on 127.0.0.1 is in use")
    assert served.stop() == 0


def test_websocket_without_the_right_token_gets_401_and_starts_no_app(start_server):
    served = start_server()

    async def check() -> None:
        assert await ws_refused(ws_url(served)) == 401
        assert await ws_refused(ws_url(served, token="wrong")) == 401
        assert await ws_refused(ws_url(served), headers={"Cookie": f"{served.cookie_name}={'f' * 64}"}) == 401
        # The right token from a page of another site (cross-site websocket hijacking) is refused too.
        evil = {"Origin": "http://evil.example"}
        assert await ws_refused(ws_url(served, token=served.token), headers=evil) == 403
        assert served.app_processes() == []

        async with Tab(ws_url(served, token=served.token), {"Origin": served.url.rstrip("/")}) as tab:
            await tab.wait_for("Above the Funnel")
            assert len(served.app_processes()) == 1
        # Closing the tab ends its app.
        assert served.wait_for_app_processes(0) == []

    run(check())
    assert served.stop() == 0


def test_wrong_tokens_are_rate_limited_per_address(start_server):
    served = start_server()

    async def check() -> None:
        other = "127.0.0.2"  # another loopback address: a second client of this machine
        for _ in range(5):
            assert (await fetch(f"{served.url}?token=guess", source=other))[0] == 401
        status, headers, _, _ = await fetch(f"{served.url}?token=guess", source=other)
        assert status == 429 and int(headers["Retry-After"]) > 0
        # Over the limit, no token is even checked: the right one is refused as well …
        assert (await fetch(f"{served.url}?token={served.token}", source=other))[0] == 429
        # … from that address only.
        assert (await fetch(f"{served.url}?token={served.token}"))[0] == 303
        # Behind a proxy on this machine, the address the proxy forwards is the one held up.
        proxied = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
        for _ in range(5):
            assert (await fetch(f"{served.url}?token=guess", headers=proxied))[0] == 401
        assert (await fetch(f"{served.url}?token={served.token}", headers=proxied))[0] == 429
        assert (await fetch(f"{served.url}?token={served.token}", headers={"X-Forwarded-For": "203.0.113.9"}))[0] == 303
        # A client on loopback (or through an SSH tunnel) that writes a new X-Forwarded-For for each
        # guess gets no more than 20 a minute from its connection's address all told.
        tunnel = "127.0.0.3"
        answers = [
            (await fetch(f"{served.url}?token=guess", headers={"X-Forwarded-For": f"192.0.2.{n}"}, source=tunnel))[0]
            for n in range(1, 23)
        ]
        assert answers == [401] * 20 + [429] * 2
        fresh = {"X-Forwarded-For": "192.0.2.200"}
        assert (await fetch(f"{served.url}?token={served.token}", headers=fresh, source=tunnel))[0] == 429
        assert (await fetch(f"{served.url}?token={served.token}", source="127.0.0.4"))[0] == 303

    run(check())
    assert "wrong token (5 in the last minute)" in served.output()
    assert served.stop() == 0


def test_tabs_are_bounded_by_the_setting_and_each_ends_with_its_tab(start_server, tmp_path):
    from planner.cli import run as planner

    db = tmp_path / "planner.db"
    assert planner(["--db", str(db), "config", "serve_connections", "1"]) == 0
    served = start_server(db=db)
    right = ws_url(served, token=served.token)

    async def check() -> None:
        async with Tab(right) as first:
            await first.wait_for("Above the Funnel")
            [pid] = served.app_processes()
            assert await ws_refused(right) == 503
            status, _, body, _ = await fetch(served.url, headers={"Authorization": f"Bearer {served.token}"})
            assert status == 503 and "open in 1 browser tab already" in body
            assert served.app_processes() == [pid]
        assert served.wait_for_app_processes(0) == [] and not alive(pid)
        async with Tab(right) as second:  # the place is free again
            await second.wait_for("Above the Funnel")

    run(check())
    assert served.stop() == 0


def test_sigterm_ends_every_tab_and_checkpoints_the_database(start_server):
    served = start_server()
    right = ws_url(served, token=served.token)

    async def work() -> list[int]:
        async with Tab(right) as typing, Tab(right) as idle:
            await typing.wait_for("Above the Funnel")
            await idle.wait_for("Above the Funnel")
            await typing.type("a")
            await typing.wait_for("Title")
            await typing.type("Served deal")
            await typing.type("\r")
            deadline = time.monotonic() + 15
            while not _titles(served.db) & {"Served deal"}:
                assert time.monotonic() < deadline, "the deal typed in the tab never reached the database"
                await asyncio.sleep(0.1)
            pids = served.app_processes()
            assert len(pids) == 2
            assert served.stop() == 0  # while both tabs are open
            return pids

    pids = run(work())
    assert not any(alive(pid) for pid in pids), "an app process outlived the server"
    wal = served.db.with_name(served.db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the database was not checkpointed"
    assert "Served deal" in _titles(served.db)
    output = served.output()
    assert "stopping: ending 2 tabs" in output
    # The token is printed once, on the first line, and never logged (the first visit carries it
    # in the address; the access log shows paths without their query).
    assert output.count(served.token) == 1 and output.splitlines()[0].endswith(served.token)
    assert re.search(r"GET /ws 101", output)


def _titles(db) -> set[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT title FROM opportunity")}
    except sqlite3.OperationalError:
        return set()
    finally:
        connection.close()


def test_a_websocket_must_come_from_the_page_own_origin():
    from aiohttp.test_utils import make_mocked_request

    from planner.serve.web import PlannerServer

    def allowed(host: str, origin: str | None, **headers: str) -> bool:
        headers = {"Host": host, "Upgrade": "websocket", "Connection": "Upgrade", **headers}
        if origin is not None:
            headers["Origin"] = origin
        return PlannerServer._same_origin(make_mocked_request("GET", "/ws", headers=headers))

    assert allowed("127.0.0.1:8000", "http://127.0.0.1:8000")
    assert allowed("127.0.0.1:8000", None)  # not a browser: the token or cookie decides
    assert not allowed("127.0.0.1:8000", "http://evil.example")
    assert not allowed("127.0.0.1:8000", "null")
    assert not allowed("127.0.0.1:8000", "http://localhost:8000")
    # A TLS proxy in front that passes on the host it was asked for.
    assert allowed("127.0.0.1:8000", "https://planner.tail1234.ts.net", **{"X-Forwarded-Host": "planner.tail1234.ts.net"})
    assert not allowed("127.0.0.1:8000", "https://evil.example", **{"X-Forwarded-Host": "planner.tail1234.ts.net"})
