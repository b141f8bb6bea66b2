"""The web server of `planner serve`: textual-serve's routes behind an access-token guard.

textual-serve (pinned in the `serve` extra) serves the page, its static files, one websocket per
tab (each running the app as its own process) and the downloads the app delivers; it has no
authentication. `PlannerServer` keeps its routes and adds, in front of all of them:

- the guard: a request without the token (in `?token=`, an `Authorization: Bearer` header, or the
  cookie the first tokened page visit sets) gets 401 and starts nothing; wrong tokens are counted
  per address (`FailureLimiter`, 429 once over the limit); a websocket must come from the page's
  own origin; the token is traded for the cookie and taken out of the address bar;
- a bounded number of tabs at once (the `serve_connections` setting), each ended when its tab
  closes — asked to quit, then terminated if it does not;
- an access log without query strings (the token never reaches a log);
- a clean stop on SIGTERM / Ctrl-C: every tab's app quits (or is killed), then the caller
  checkpoints the database.

Only `planner.serve.serve` imports this module (aiohttp and textual-serve are an optional extra).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import signal
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from aiohttp import WSCloseCode, hdrs, web
from aiohttp.abc import AbstractAccessLogger
from textual_serve.app_service import AppService
from textual_serve.server import Server

from planner.errors import PlannerError
from planner.serve import FailureLimiter, is_loopback

log = logging.getLogger("planner.serve")

COOKIE_PREFIX = "planner_session_"  # + the port: two servers on one machine keep their own
COOKIE_MAX_AGE = 30 * 24 * 3600
QUIT_GRACE = 5.0  # seconds a tab's app gets to quit (and close the database) before it is terminated
KILL_GRACE = 2.0  # then seconds before it is killed
HEARTBEAT = 15.0  # a tab that vanished without closing (a phone asleep) is noticed within ~2 heartbeats
#: Wrong tokens a minute from one connecting address, whatever X-Forwarded-For says: all the
#: clients of a proxy together (each of them has the usual 5 of its own).
PROXIED_LIMIT = 20

_LOCKED = (
    "This planner is locked.\n"
    "Open the address that 'planner serve' printed when it started: it ends in ?token=...\n"
)
_BUSY = (
    "The planner is open in {n} browser tab{s} already, the most it runs at once.\n"
    "Close one of them and reload this page (or raise the limit: planner config serve_connections N).\n"
)


def _session_cookie_value(token: str) -> str:
    """What the cookie carries: derived from the token (so a new token signs every browser out),
    but not the token itself."""
    return hmac.new(token.encode("ascii"), b"planner serve session", hashlib.sha256).hexdigest()


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode("utf-8", "replace"), expected.encode("utf-8"))


def _is_websocket(request: web.BaseRequest) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def _client(request: web.BaseRequest) -> str:
    """Who is asking, for the wrong-token limit. Through a proxy on this machine (TLS, Tailscale)
    every request comes from loopback, so there the address the proxy added last to
    X-Forwarded-For counts (one a client wrote itself stands before it); from anywhere else that
    header is ignored. A client that reaches loopback itself (on this machine, or through an SSH
    tunnel) can write any X-Forwarded-For, so the connection's own address has a limit of its own
    too (`PROXIED_LIMIT`): changing the header gains no more guesses than that."""
    peer = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and is_loopback(peer):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return peer


def _clamp(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return max(low, min(high, value))


class AccessLog(AbstractAccessLogger):
    """One line per request: who, what, the answer; the path without its query (where the token
    travels on the first visit)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.0f ms", request.remote or "-", request.method, request.path, response.status, time * 1000
        )


class PlannerAppService(AppService):
    """One tab's app process: started without a shell, in its own session (a Ctrl-C in the
    server's terminal reaches the server, which ends the tabs in order), and always ended."""

    def __init__(self, argv: list[str], **kwargs) -> None:
        import shlex

        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv
        self._stopping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def _open_app_process(self, width: int = 80, height: int = 24):
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit; terminate it after QUIT_GRACE, kill it after KILL_GRACE more.
        Safe to call many times and from many places: they all wait for the same end."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        process, task = self._process, self._task
        if task is None or process is None:
            return
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        for wait, then in ((QUIT_GRACE, process.terminate), (KILL_GRACE, process.kill), (None, None)):
            try:
                await asyncio.wait_for(process.wait(), wait)
                break
            except TimeoutError:
                log.warning("a tab's planner (pid %s) did not quit; ending it", process.pid)
                try:
                    then()
                except ProcessLookupError:
                    break
        try:
            await asyncio.wait_for(task, KILL_GRACE)
        except TimeoutError:
            task.cancel()
        self._task = None


class PlannerServer(Server):
    """textual-serve's `Server`, locked and bounded (see the module docstring)."""

    def __init__(
        self,
        *,
        database: Path,
        host: str,
        port: int,
        token: str | None,
        connections: int,
        limiter: FailureLimiter | None = None,
    ) -> None:
        # The same app as `planner --db DATABASE`, on the resolved file; PLANNER_TODAY and the
        # rest of the environment pass through (textual-serve copies it).
        self.argv = [sys.executable, "-m", "planner.serve.child", str(os.getpid()), "--db", str(database)]
        import shlex

        super().__init__(shlex.join(self.argv), host=host, port=port, title="Funnel planner")
        self.token = token
        self.cookie_value = _session_cookie_value(token) if token is not None else None
        self.cookie_name = f"{COOKIE_PREFIX}{port}"
        self.connections = connections
        self.limiter = limiter or FailureLimiter()
        self.proxied_limiter = FailureLimiter(PROXIED_LIMIT, self.limiter.window, clock=self.limiter.clock)
        self.sessions: set[PlannerAppService] = set()
        self.sockets: set[web.WebSocketResponse] = set()
        self.stopping = False
        self._page = resources.files("planner.serve").joinpath("index.html").read_text(encoding="utf-8")

    # --- the application ----------------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()  # textual-serve's routes: /, /ws, /download/{key}, /static
        app.middlewares.append(self._guard)
        app.on_response_prepare.append(self._security_headers)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its banner and address here; `planner serve` prints its own."""

    # --- the guard ----------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        if self.token is None:
            # Unlocked (--no-token, loopback only): only pages this machine asked for by its own
            # name, so a web page elsewhere cannot reach it through DNS rebinding.
            if not is_loopback(request.host.rsplit(":", 1)[0]) or not self._same_origin(request):
                return self._refuse(403, "Open the planner as http://127.0.0.1:PORT/ on this machine.\n")
            return await handler(request)

        address = _client(request)
        peer = request.remote or "unknown"
        query_token = request.query.get("token")
        authorization = request.headers.get(hdrs.AUTHORIZATION, "")
        bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
        presented = query_token if query_token is not None else bearer
        cookie = request.cookies.get(self.cookie_name)
        if presented is None and cookie is None:
            return self._refuse(401, _LOCKED)

        wait = self.limiter.retry_after(address)
        if address != peer:  # forwarded: the connecting address (the proxy, or a forged header) has its own limit
            wait = max(wait, self.proxied_limiter.retry_after(peer))
        if wait:
            # Over the limit: no token is even looked at until the address has waited.
            response = self._refuse(429, "Too many wrong tokens from this address: wait a minute.\n")
            response.headers[hdrs.RETRY_AFTER] = str(int(wait) + 1)
            return response

        if presented is not None:
            good = _same(presented, self.token)
        else:
            good = _same(cookie, self.cookie_value)
        if not good:
            count = self.limiter.failed(address)
            if address != peer:
                self.proxied_limiter.failed(peer)
            log.warning(
                "refused %s %s from %s: wrong %s (%d in the last minute)",
                request.method, request.path, address, "token" if presented is not None else "cookie", count,
            )
            response = self._refuse(401, _LOCKED)
            if presented is None:
                response.del_cookie(self.cookie_name, path="/")  # a stale cookie is tried once only
            return response

        if not self._same_origin(request):
            log.warning("refused a websocket from another site's page (Origin %s)", request.headers.get(hdrs.ORIGIN))
            return self._refuse(403, "A page from another site may not open the planner.\n")

        if query_token is not None and request.method == "GET" and request.path == "/" and not _is_websocket(request):
            # Trade the token in the address for a cookie, and take it out of the address bar and
            # the browser's history: the websocket, static files and downloads then carry the cookie.
            rest = [(key, value) for key, value in request.query.items() if key != "token"]
            response = web.Response(status=303, headers={hdrs.LOCATION: "/" + (f"?{urlencode(rest)}" if rest else "")})
            secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
            response.set_cookie(
                self.cookie_name, self.cookie_value, max_age=COOKIE_MAX_AGE, path="/",
                httponly=True, samesite="Lax", secure=secure,
            )
            response.headers[hdrs.CACHE_CONTROL] = "no-store"
            return response
        return await handler(request)

    @staticmethod
    def _same_origin(request: web.BaseRequest) -> bool:
        """A websocket's Origin (sent by every browser) must be the page's own host. Plain GETs
        are harmless from anywhere: without the token or cookie they are refused anyway."""
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or not _is_websocket(request):
            return True
        # Behind a proxy that passes on the host it was asked for (a page cannot set this header).
        hosts = {request.host.lower(), request.headers.get("X-Forwarded-Host", "").split(",")[0].strip().lower()}
        return urlsplit(origin).netloc.lower() in hosts - {""}

    @staticmethod
    def _refuse(status: int, text: str) -> web.Response:
        response = web.Response(status=status, text=text, headers={hdrs.CACHE_CONTROL: "no-store"})
        if status == 401:
            response.headers[hdrs.WWW_AUTHENTICATE] = 'Bearer realm="planner"'
        return response

    @staticmethod
    async def _security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
        headers = response.headers
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")  # no page elsewhere frames it to steer its keys
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")

    # --- the page and the tabs ----------------------------------------------------------------
    def _full(self) -> bool:
        return len(self.sessions) >= self.connections

    def _busy(self) -> web.Response:
        n = len(self.sessions)
        return self._refuse(503, _BUSY.format(n=n, s="s" if n != 1 else ""))

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.stopping:
            return self._refuse(503, "The planner's server is stopping.\n")
        if self._full():
            return self._busy()
        page = self._page.replace("{{font_size}}", str(_clamp(request.query.get("fontsize"), 16, 6, 48)))
        page = page.replace("{{connections}}", str(self.connections))
        return web.Response(text=page, content_type="text/html", headers={hdrs.CACHE_CONTROL: "no-store"})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """One tab: its own app process, ended when the tab closes (or the server stops)."""
        if self.stopping:
            return self._refuse(503, "The planner's server is stopping.\n")
        if self._full():
            log.warning("refused a tab from %s: %d open already (serve_connections)", request.remote, len(self.sessions))
            return self._busy()
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT)
        service = PlannerAppService(
            self.argv,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions.add(service)  # counted before the first await: the limit holds under a rush
        try:
            await websocket.prepare(request)
            self.sockets.add(websocket)
            await service.start(_clamp(request.query.get("width"), 80, 10, 500), _clamp(request.query.get("height"), 24, 5, 300))
            log.info("tab opened from %s (planner pid %s; %d of %d)", request.remote, service.pid, len(self.sessions), self.connections)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # a broken tab must not take the server down
            log.warning("a tab ended with an error: %s", error)
        finally:
            await service.stop()
            self.sessions.discard(service)
            self.sockets.discard(websocket)
            if not websocket.closed:
                await websocket.close()
            log.info("tab closed (planner pid %s ended; %d open)", service.pid, len(self.sessions))
        return websocket

    # --- running ------------------------------------------------------------------------------
    def run(self, ready: Callable[[int], None]) -> None:
        """Serve until SIGTERM or SIGINT; `ready(port)` once listening (port 0 picks a free one)."""
        _log_to_stderr()
        asyncio.run(self._serve(ready))

    async def _serve(self, ready: Callable[[int], None]) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        app = await self._make_app()
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log_class=AccessLog,
            access_log=logging.getLogger("planner.serve.access"),
            shutdown_timeout=QUIT_GRACE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            try:
                await site.start()
            except OSError as error:
                import errno

                if error.errno == errno.EADDRINUSE:
                    raise PlannerError(
                        f"port {self.port} on {self.host} is in use (another 'planner serve'?): choose another with --port"
                    ) from None
                raise PlannerError(f"cannot listen on {self.host} port {self.port}: {error.strerror or error}") from None
            self.port = runner.addresses[0][1]
            self.cookie_name = f"{COOKIE_PREFIX}{self.port}"
            ready(self.port)
            await stop.wait()
            log.info("stopping: ending %d tab%s", len(self.sessions), "s" if len(self.sessions) != 1 else "")
        finally:
            self.stopping = True
            await self.end_sessions()
            await runner.cleanup()

    async def end_sessions(self) -> None:
        """Every tab's app quits (or is ended), then every websocket closes."""
        await asyncio.gather(*(service.stop() for service in list(self.sessions)), return_exceptions=True)
        for websocket in list(self.sockets):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"the planner's server stopped")


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    for name in ("planner.serve", "textual-serve", "aiohttp"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
