"""`planner serve`: the whole TUI in a browser tab, locked by an access token (docs/serve.md).

Textualize's textual-serve runs one app process per browser tab over a websocket; it has no
authentication of its own, so everything it routes sits behind `planner.serve.web`'s guard. This
module is the part that needs neither aiohttp nor Textual: the access token and where it is kept,
which addresses count as this machine only, the wrong-token limiter, and the entry point that
checks all of that before the optional `serve` extra is imported.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from planner.errors import BadInput, PlannerError

TOKEN_FILENAME = "serve-token"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,200}")
INSTALL_HINT = "pip install 'funnel-planner[serve]' (from a clone: pip install -e '.[serve]')"


# --- the access token -----------------------------------------------------------------------------


def token_path() -> Path:
    """`serve-token` in the user's config directory (~/.config/planner on Linux): the token is the
    key to this machine's server, not part of the funnel, so it is not kept in the database (which
    is exported, backed up and copied)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("planner", appauthor=False)) / TOKEN_FILENAME


def new_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)  # 256 bits


def read_token(path: Path) -> str | None:
    """The stored token, or None when there is none yet. Refuses (PlannerError) a token file that
    is a link, not a plain file, not the user's own, readable by others, or damaged."""
    import stat

    try:
        # O_NONBLOCK: a FIFO planted under the name is refused below instead of blocking the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PlannerError(f"cannot read the access token {path}: {error.strerror or error}; delete it to get a new one") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PlannerError(f"the access token {path} is not a plain file; delete it to get a new one")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise PlannerError(f"the access token {path} belongs to another user; delete it to get a new one")
        if info.st_mode & 0o077:
            raise PlannerError(
                f"the access token {path} can be read by others: run 'chmod 600 {path}', "
                "or delete it (and 'planner serve' makes a new one)"
            )
        raw = os.read(fd, 1024)
    finally:
        os.close(fd)
    text = raw.decode("ascii", "replace").strip()
    if not _TOKEN_SHAPE.fullmatch(text):
        raise PlannerError(f"the access token {path} is damaged; delete it, or run 'planner serve --new-token'")
    return text


def load_or_create_token(path: Path, *, renew: bool = False) -> tuple[str, bool]:
    """(token, made now): the stored token, or a new one written owner-only (0600, in a 0700
    folder) on first use or with `renew`."""
    if not renew:
        token = read_token(path)
        if token is not None:
            return token, False
    from planner.files import write_file

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise PlannerError(f"cannot create {path.parent}: {error.strerror or error}") from None
    token = new_token()
    # write_file: a temporary file made by mkstemp (0600) renamed over the name, so a link planted
    # at the name is replaced, never followed.
    written = write_file(path, f"{token}\n".encode("ascii"), database=None, replace_link=True)
    os.chmod(written, 0o600)
    return token, True


# --- addresses ----------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach: 127.0.0.0/8, ::1 or `localhost`. Any other
    name may resolve to a network address, so it does not count."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, locked: bool) -> None:
    """BadInput when the server would be reachable from the network without the token in force."""
    if not host.strip():
        raise BadInput("--host is empty; leave it out to serve on 127.0.0.1 (this machine only)")
    if not locked and not is_loopback(host):
        raise BadInput(
            f"--no-token is only allowed on this machine's own address (127.0.0.1, ::1, localhost), "
            f"not {host}: anyone who can reach {host} could read and change your funnel (see docs/serve.md)"
        )


def url_host(host: str) -> str:
    """`host` as it goes in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- keys a browser keeps -----------------------------------------------------------------------

#: Keys (Textual's names) that a browser may keep for itself instead of passing them to the page:
#: tabs and windows (new, close, reopen, switch), quit, reload, history, address bar, fullscreen,
#: developer tools. Some of them a page can sometimes catch, but none can be counted on, so no
#: action of the planner may be reached by these keys only (tests/ui/test_browser_keys.py).
BROWSER_KEPT_KEYS: frozenset[str] = frozenset(
    {
        "ctrl+n", "ctrl+shift+n", "ctrl+t", "ctrl+shift+t", "ctrl+w", "ctrl+shift+w", "ctrl+q", "ctrl+shift+q",
        "ctrl+tab", "ctrl+shift+tab", "ctrl+pageup", "ctrl+pagedown", "ctrl+shift+pageup", "ctrl+shift+pagedown",
        *(f"ctrl+{digit}" for digit in "123456789"), *(f"alt+{digit}" for digit in "123456789"),
        "ctrl+r", "ctrl+shift+r", "f5", "ctrl+f5", "shift+f5", "alt+left", "alt+right", "alt+home", "alt+f4",
        "ctrl+l", "alt+d", "f6", "f11", "f12", "ctrl+shift+i", "ctrl+shift+j", "ctrl+shift+c", "ctrl+shift+delete",
        "ctrl+shift+b",
    }
)


def key_name(key: str) -> str:
    """A Textual key with its modifiers in one order (ctrl, alt, shift, super, meta), so
    'shift+ctrl+tab' and 'ctrl+shift+tab' compare equal."""
    order = ("ctrl", "alt", "shift", "super", "meta")
    *modifiers, last = key.strip().lower().split("+")
    return "+".join([*sorted(set(modifiers), key=lambda m: order.index(m) if m in order else 9), last])


# --- wrong tokens -------------------------------------------------------------------------------


class FailureLimiter:
    """Counts wrong tokens per client address: after `limit` within `window` seconds the address
    is refused (429) until the oldest of them is older than the window, without a token being
    checked at all, so guessing gains nothing by going faster. At most `max_addresses` are
    remembered (the oldest are forgotten first), so a flood cannot grow it without bound."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> float:
        """Seconds until `address` may try again; 0 when it may now."""
        now = self.clock()
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[-self.limit] + self.window - now)

    def failed(self, address: str) -> int:
        """Record a wrong token from `address`; return how many it sent within the window."""
        now = self.clock()
        failures = self._recent(address, now)
        if failures is None:
            if len(self._failures) >= self.max_addresses:
                del self._failures[next(iter(self._failures))]
            failures = self._failures[address] = deque(maxlen=self.limit * 4)
        failures.append(now)
        return len(failures)


# --- the command --------------------------------------------------------------------------------


def serve(
    db: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    connections: int | None = None,
    renew_token: bool = False,
    locked: bool = True,
    out: TextIO | None = None,
) -> int:
    """`planner serve`: check everything, then serve until Ctrl-C or SIGTERM. The first line
    printed is the address to open, with the token; nothing after it shows the token."""
    out = sys.stdout if out is None else out
    check_host(host, locked=locked)
    if not 0 <= port <= 65535:
        raise BadInput(f"--port must be between 1 and 65535 (0 picks a free one), not {port}")
    if connections is not None and not 1 <= connections <= 64:
        raise BadInput(f"--connections must be between 1 and 64, not {connections}")
    try:
        import importlib

        web = importlib.import_module("planner.serve.web")
    except ImportError as error:
        missing = getattr(error, "name", None) or "textual-serve"
        raise PlannerError(f"'planner serve' needs the serve extra ({missing} is not installed): {INSTALL_HINT}") from None

    from planner.store import open_repository

    # The same database as every other command (--db, else PLANNER_DB, else the default); opened
    # here so a bad one is refused before anything listens, and kept open to checkpoint at the end.
    repo = open_repository(db)
    try:
        limit = connections if connections is not None else repo.settings().serve_connections
        token = None
        made = False
        where = token_path()
        if locked:
            token, made = load_or_create_token(where, renew=renew_token)
        server = web.PlannerServer(
            database=repo.path.absolute(),
            host=host,
            port=port,
            token=token,
            connections=limit,
        )

        def ready(bound_port: int) -> None:
            address = f"http://{url_host(host)}:{bound_port}/"
            if token is not None:
                print(f"Open {address}?token={token}", file=out, flush=True)
            else:
                print(f"Open {address}", file=out, flush=True)
            lines = [f"Serving {repo.path} to {limit} browser tab{'s' if limit != 1 else ''} at once; Ctrl+C stops."]
            if made:
                lines.append(f"A new access token is kept in {where} (owner-only). 'planner serve --new-token' replaces it.")
            if token is None:
                lines.append("Unlocked: anyone with an account on this machine can open it. Leave out --no-token to lock it.")
            elif not is_loopback(host):
                lines.append(
                    f"Reachable from the network on {host} over plain HTTP: put it behind TLS (docs/serve.md). "
                    "The address above is the key: share it like a password."
                )
            if host in ("0.0.0.0", "::"):
                lines.append(f"Open it with this machine's address in place of {host}.")
            for line in lines:
                print(line, file=out, flush=True)

        server.run(ready)
    finally:
        try:
            repo.checkpoint()
        finally:
            repo.close()
    return 0
