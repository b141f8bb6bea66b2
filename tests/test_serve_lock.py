"""What locks `planner serve` before anything listens (issue 13): the access token kept owner-only,
the wrong-token limiter, which hosts count as this machine, and the command's refusals. None of
this needs the serve extra."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from planner.cli import run
from planner.errors import BadInput, PlannerError
from planner.serve import FailureLimiter, check_host, is_loopback, load_or_create_token, read_token, token_path


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_token_is_made_once_owner_only_and_kept(tmp_path):
    path = tmp_path / "config" / "planner" / "serve-token"
    previous = os.umask(0)  # the harshest umask: the files stay owner-only anyway
    try:
        token, made = load_or_create_token(path)
    finally:
        os.umask(previous)
    assert made and len(token) >= 40
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert load_or_create_token(path) == (token, False)
    renewed, made = load_or_create_token(path, renew=True)
    assert made and renewed != token and read_token(path) == renewed and mode(path) == 0o600


def test_token_file_in_the_config_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert token_path() == tmp_path / "planner" / "serve-token"


def test_a_token_others_can_read_a_link_or_a_damaged_one_is_refused(tmp_path):
    path = tmp_path / "serve-token"
    token, _ = load_or_create_token(path)
    os.chmod(path, 0o644)
    with pytest.raises(PlannerError, match="can be read by others.*chmod 600"):
        read_token(path)
    os.chmod(path, 0o600)
    link = tmp_path / "link-token"
    link.symlink_to(path)
    with pytest.raises(PlannerError, match="delete it"):
        read_token(link)
    path.write_text("short\n")
    with pytest.raises(PlannerError, match="damaged"):
        read_token(path)


def test_a_planted_link_at_the_token_name_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = tmp_path / "serve-token"
    path.symlink_to(victim)
    load_or_create_token(path, renew=True)
    assert victim.read_text() == "keep me"
    assert not path.is_symlink() and mode(path) == 0o600


def test_limiter_blocks_an_address_after_five_wrong_tokens_for_a_minute():
    now = [1000.0]
    limiter = FailureLimiter(limit=5, window=60, clock=lambda: now[0])
    for count in range(1, 5):
        assert limiter.failed("10.0.0.9") == count
        assert limiter.retry_after("10.0.0.9") == 0
    limiter.failed("10.0.0.9")
    assert limiter.retry_after("10.0.0.9") == pytest.approx(60)
    assert limiter.retry_after("127.0.0.1") == 0  # other addresses are not held up
    now[0] += 30
    assert limiter.retry_after("10.0.0.9") == pytest.approx(30)
    now[0] += 31
    assert limiter.retry_after("10.0.0.9") == 0  # the window passed: may try again


def test_limiter_remembers_a_bounded_number_of_addresses():
    limiter = FailureLimiter(limit=1, window=60, clock=lambda: 0.0, max_addresses=3)
    for address in ("a", "b", "c", "d"):
        limiter.failed(address)
    assert limiter.retry_after("a") == 0 and limiter.retry_after("d") > 0
    assert len(limiter._failures) == 3


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts(host):
    assert is_loopback(host)
    check_host(host, locked=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com"])
def test_network_hosts_need_the_token(host):
    assert not is_loopback(host)
    check_host(host, locked=True)
    with pytest.raises(BadInput, match="--no-token is only allowed"):
        check_host(host, locked=False)


def test_cli_refuses_no_token_on_a_network_address_before_listening(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    db = tmp_path / "p.db"
    assert run(["--db", str(db), "serve", "--host", "0.0.0.0", "--no-token"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: --no-token is only allowed") and len(err.strip().splitlines()) == 1
    assert not db.exists() and not (tmp_path / "config").exists()  # nothing made, nothing listened


@pytest.mark.parametrize(
    "args, message",
    [(["--port", "70000"], "--port must be between"), (["--connections", "0"], "--connections must be between"),
     (["--port", "eighty"], "invalid int value")],
)
def test_cli_refuses_bad_numbers_in_one_line(tmp_path, capsys, args, message):
    assert run(["--db", str(tmp_path / "p.db"), "serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_without_the_serve_extra_the_command_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import planner.serve

    monkeypatch.setitem(sys.modules, "planner.serve.web", None)  # as if aiohttp/textual-serve were missing
    monkeypatch.delattr(planner.serve, "web", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert run(["--db", str(tmp_path / "p.db"), "serve", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "needs the serve extra" in err and "pip install" in err and "Traceback" not in err


def test_serve_connections_is_a_setting_with_default_4(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    assert run(["--db", db, "config", "serve_connections"]) == 0
    assert capsys.readouterr().out.strip() == "4"
    assert run(["--db", db, "config", "serve_connections", "65"]) == 2
    assert run(["--db", db, "config", "serve_connections", "2"]) == 0


def test_the_serve_extra_is_imported_by_the_serve_command_only():
    from tests.test_import_hygiene import imported_by

    for module in ("planner.cli", "planner.serve", "planner.app"):
        assert not {"aiohttp", "textual_serve"} & imported_by(module), module
    assert "textual" not in imported_by("planner.serve")
