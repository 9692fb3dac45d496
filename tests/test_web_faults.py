"""The web app under hostile or odd clients, through real servers and sockets.

Idle and trickling connections must not lock desks out; ``serve`` on another loopback
address answers; wrong access codes are throttled per client and in total.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_server import free_port
from waitress_server import serving as serving_in_thread

from handouts.web import create_app

TOKEN = "correct horse battery staple"
linux_only = pytest.mark.skipif(
    sys.platform != "linux", reason="other 127.x addresses and /proc are Linux's"
)

SERVE_WITH_SHORT_TIMEOUTS = """
import sys
from handouts.web.server import serve
serve(None, "127.0.0.1", int(sys.argv[1]), channel_timeout=2, request_timeout=2)
"""


@contextlib.contextmanager
def serving(
    tmp_path: Path, *arguments: str, script: str | None = None, **popen
) -> Iterator[tuple[subprocess.Popen, int]]:
    """A real ``handouts serve`` process on a free port; stopped by SIGTERM at the end."""
    port = free_port()
    command = (
        [sys.executable, "-u", "-c", script, str(port)]
        if script
        else [sys.executable, "-m", "handouts", "serve", "--port", str(port), *arguments]
    )
    environment = {**os.environ, "HANDOUTS_HOME": str(tmp_path)}
    environment.pop("HANDOUTS_WEB_TOKEN", None)
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        **popen,
    )  # fmt: skip
    with server:
        try:
            first = server.stdout.readline()
            assert first.startswith("Leaflets for reception"), first + server.stdout.read()
            yield server, port
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def desk_request(host: str, port: int, path: str = "/", headers=None) -> tuple[int, float]:
    """Status of one ordinary request and the seconds it took."""
    start = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - start
    finally:
        connection.close()


def connections(stack: contextlib.ExitStack, port: int, count: int) -> list[socket.socket]:
    """``count`` connections to the server that send nothing, closed with ``stack``."""
    return [
        stack.enter_context(socket.create_connection(("127.0.0.1", port))) for _ in range(count)
    ]


def trickle(sockets: list[socket.socket], stop: threading.Event) -> None:
    """Send a request that never ends, one byte at a time on every socket (slowloris)."""
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    sent = 0
    while not stop.wait(0.1):
        for connection in sockets:
            with contextlib.suppress(OSError):
                connection.send(request[sent : sent + 1])
        sent += 1


def closed_within(connection: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``connection``, or None if it stayed open."""
    start = time.monotonic()
    connection.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            if connection.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def raise_open_files_limit(needed: int) -> None:
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-files hard limit ({hard}) is below {needed}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


# Idle and slow connections -----------------------------------------------------------


def test_desks_are_served_while_hundreds_of_connections_sit_idle_or_trickle(tmp_path):
    stop = threading.Event()
    with serving(tmp_path) as (_, port), contextlib.ExitStack() as stack:
        idle = connections(stack, port, 300)
        slow = connections(stack, port, 30)
        trickler = threading.Thread(target=trickle, args=(slow, stop))
        trickler.start()
        try:
            time.sleep(1)  # every connection accepted, the trickle under way
            status, seconds = desk_request("127.0.0.1", port)
            again, seconds_again = desk_request("127.0.0.1", port, "/history")
        finally:
            stop.set()
            trickler.join()
        assert (status, again) == (200, 200)
        assert max(seconds, seconds_again) < 3
        assert len(idle) == 300


def test_idle_and_trickling_connections_are_closed_after_their_timeouts(tmp_path):
    stop = threading.Event()
    with (
        serving(tmp_path, script=SERVE_WITH_SHORT_TIMEOUTS) as (_, port),
        socket.create_connection(("127.0.0.1", port)) as idle,
        socket.create_connection(("127.0.0.1", port)) as slow,
    ):
        trickler = threading.Thread(target=trickle, args=([slow], stop))
        trickler.start()
        try:
            idle_closed = closed_within(idle, 8)
            slow_closed = closed_within(slow, 8)
        finally:
            stop.set()
            trickler.join()
        assert desk_request("127.0.0.1", port)[0] == 200
    # Timeouts of 2 s, checked every second: closed after 2 to 4 s, not at once.
    assert idle_closed is not None and 1.5 < idle_closed < 5
    assert slow_closed is not None  # the trickle kept it busy; the request time closed it


@linux_only
def test_serve_raises_its_open_files_limit_and_holds_a_thousand_connections(tmp_path):
    """Started with the common soft limit of 1024 and 150 files already open, ``serve``
    must raise the limit and wait on sockets numbered past 1024 (poll, not select)."""
    import resource

    raise_open_files_limit(1500)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def common_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    with contextlib.ExitStack() as stack:
        inherited = [stack.enter_context(open(os.devnull, "rb")).fileno() for _ in range(150)]
        with serving(tmp_path, preexec_fn=common_limit, pass_fds=inherited) as (server, port):
            limits = Path(f"/proc/{server.pid}/limits").read_text()
            open_files = re.search(r"Max open files\s+(\d+)", limits).group(1)
            idle = connections(stack, port, 980)
            status, seconds = desk_request("127.0.0.1", port)
            descriptors = len(os.listdir(f"/proc/{server.pid}/fd"))
    assert int(open_files) >= 1256
    assert descriptors > 1100  # past select()'s 1024
    assert status == 200 and seconds < 5
    assert len(idle) == 980


# Another loopback address -------------------------------------------------------------


@linux_only
def test_serve_on_another_loopback_address_answers_its_own_name(tmp_path):
    with serving(tmp_path, "--host", "127.0.0.2") as (_, port):
        assert desk_request("127.0.0.2", port)[0] == 200  # Host: 127.0.0.2:port
        assert desk_request("127.0.0.2", port, headers={"Host": f"localhost:{port}"})[0] == 200
        rebound = desk_request("127.0.0.2", port, headers={"Host": f"evil.example:{port}"})
        other = desk_request("127.0.0.2", port, headers={"Host": f"127.0.0.3:{port}"})
    assert rebound[0] == other[0] == 400


# Wrong access codes -------------------------------------------------------------------


@contextlib.contextmanager
def locked_server(tmp_path: Path, **limits: str) -> Iterator[int]:
    """A real waitress server for an app that needs the access code; yields its port."""
    app = create_app(token=TOKEN, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    for key, value in limits.items():
        app.config[f"HANDOUTS_SIGN_IN_LIMIT_{key.upper()}"] = value
    try:
        with serving_in_thread(app) as port:
            yield port
    finally:
        app.extensions["handouts"].maker.close()


class Desk:
    """A browser at one address (127.0.0.x), with its own session cookie."""

    def __init__(self, port: int, address: str = "127.0.0.1") -> None:
        self.port, self.address, self.cookie = port, address, ""

    def send(self, method: str, path: str, body: str = "", headers=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.address, 0)
        )
        headers = {"Cookie": self.cookie, **(headers or {})}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";")[0]
        return response, text

    def sign_in(self, code: str):
        _, page = self.send("GET", "/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.send("POST", "/login", f"csrf_token={csrf}&token={code}&next=/history")

    def api(self, code: str, path: str = "/api/treatments"):
        return self.send("GET", path, headers={"Authorization": f"Bearer {code}"})


def test_many_wrong_codes_from_one_computer_get_429_quickly(tmp_path):
    """With the product's limits: five wrong codes a minute, then 429 for the rest."""
    with locked_server(tmp_path) as port:
        desk = Desk(port)
        start = time.monotonic()
        statuses = [desk.sign_in(f"guess {number}")[0].status for number in range(30)]
        seconds = time.monotonic() - start
        blocked, page = desk.sign_in(TOKEN)  # even the right code, until the minute is up
    assert statuses == [401] * 5 + [429] * 25
    assert seconds < 8
    assert blocked.status == 429
    assert 50 <= int(blocked.getheader("Retry-After")) <= 61
    assert "Too many wrong access codes from this computer. Wait" in page
    assert 'name="token"' in page  # the form stays, for after the wait


@linux_only
def test_the_right_code_works_after_the_window_and_other_desks_are_not_held(tmp_path):
    with locked_server(tmp_path, per_client="3 per 2 seconds") as port:
        guesser, colleague = Desk(port, "127.0.0.5"), Desk(port, "127.0.0.6")
        wrong = [guesser.sign_in("guess")[0].status for _ in range(3)]
        blocked, _ = guesser.sign_in(TOKEN)
        colleague_signed_in, _ = colleague.sign_in(TOKEN)
        time.sleep(int(blocked.getheader("Retry-After")) + 0.2)
        later, _ = guesser.sign_in(TOKEN)
        history, _ = guesser.send("GET", "/history")
    assert wrong == [401] * 3
    assert blocked.status == 429
    assert colleague_signed_in.status == 303
    assert later.status == 303 and later.getheader("Location") == "/history"
    assert history.status == 200


@linux_only
def test_wrong_bearer_codes_are_throttled_on_every_address(tmp_path):
    with locked_server(tmp_path, per_client="4 per minute") as port:
        script = Desk(port, "127.0.0.7")
        first = [
            script.api("nope")[0].status,
            script.api("nope", "/history")[0].status,  # a page: sent to sign in
            script.api("nope", "/api/no-such-thing")[0].status,
            script.send("POST", "/api/treatments", headers={"Authorization": "Bearer x"})[0].status,
        ]
        blocked, body = script.api(TOKEN)
        right_elsewhere, _ = Desk(port, "127.0.0.8").api(TOKEN)
    assert first == [401, 302, 401, 401]
    assert blocked.status == 429 and int(blocked.getheader("Retry-After")) > 0
    assert blocked.getheader("Content-Type") == "application/json"
    assert "Too many wrong access codes from this computer" in body
    assert right_elsewhere.status == 200


@linux_only
def test_a_flood_from_many_addresses_pauses_new_sign_ins_but_not_known_desks(tmp_path):
    with locked_server(tmp_path, per_client="2 per minute", all="6 per minute") as port:
        known = Desk(port, "127.0.0.2")
        assert known.sign_in(TOKEN)[0].status == 303
        flood = [
            Desk(port, f"127.0.1.{number}").sign_in("guess")[0].status
            for number in range(1, 7)
            for _ in range(2)
        ]
        newcomer, page = Desk(port, "127.0.0.20").sign_in(TOKEN)
        again, _ = Desk(port, "127.0.0.2").sign_in(TOKEN)  # a new browser on a known desk
        script, _ = known.api(TOKEN)
    # Six addresses, two wrong codes each: the last six meet the cap for everyone.
    assert flood.count(401) == 6 and flood.count(429) == 6
    assert newcomer.status == 429 and "sign-in here is paused for" in page
    assert "Computers that signed in earlier carry on" in page
    assert (again.status, script.status) == (303, 200)
