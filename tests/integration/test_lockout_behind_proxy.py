"""The sign-in lockout behind a reverse proxy: real gunicorn serving the project, a forwarding proxy in front.

The proxy does what nginx's ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`` does: it appends the
address of whoever called it to the header. Its callers here are all on 127.0.0.1, so each test client names the
address it stands for in ``X-Test-Client``, a header only the proxy reads (and drops). gunicorn sees every request
coming from the proxy; only with ``TRUSTED_PROXIES`` does the app tell the clients apart.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher

from tests.processes import Gunicorn
from ukbot.auth.models import LoginAttempt

PASSWORD = "correct horse battery staple"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class ForwardingProxy:
    """A small reverse proxy: forwards each request to gunicorn, appending its caller to X-Forwarded-For."""

    def __init__(self, upstream_port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                caller = self.headers.get("X-Test-Client") or self.client_address[0]
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() not in HOP_BY_HOP | {"x-test-client", "x-forwarded-for"}
                }
                forwarded = self.headers.get("X-Forwarded-For")
                headers["X-Forwarded-For"] = f"{forwarded}, {caller}" if forwarded else caller
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        if name.lower() not in HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    upstream.close()

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default 5 resets connections of a burst of 30 clients

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def login(self, username: str, password: str, *, client: str, spoof: str | None = None) -> int:
        headers = {"Content-Type": "application/json", "Accept-Language": "en", "X-Test-Client": client}
        if spoof:
            headers["X-Forwarded-For"] = spoof  # what a client may send the proxy itself
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                "POST",
                "/api/v1/auth/login",
                body=json.dumps({"username": username, "password": password}),
                headers=headers,
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _client() -> str:
    return f"203.0.{uuid.uuid4().int % 250}.{1 + uuid.uuid4().int % 250}"


def _account():
    # gunicorn checks passwords with the project's hashers, not the tests' fast one
    hasher = Argon2PasswordHasher()
    return get_user_model().objects.create(
        username=f"resident-{uuid.uuid4().hex[:8]}", password=hasher.encode(PASSWORD, hasher.salt())
    )


def _forget_proxy_bucket() -> None:
    # without TRUSTED_PROXIES the proxy's own address is locked out: do not leave that to other tests
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("ukbot:login:*:ip:127.0.0.1"):
        client.delete(key)


@pytest.fixture
def behind_proxy(tmp_path):
    """Start gunicorn with the given environment and a proxy in front of it; stop both afterwards."""
    started: list[Gunicorn | ForwardingProxy] = []

    def start(**env: str) -> ForwardingProxy:
        server = Gunicorn(tmp_path / f"gunicorn-{len(started)}.log", **env)
        started.append(server)
        proxy = ForwardingProxy(server.port)
        started.append(proxy)
        return proxy

    _forget_proxy_bucket()
    yield start
    for thing in reversed(started):
        thing.stop()
    _forget_proxy_bucket()


def test_with_trusted_proxies_failures_lock_only_the_client_that_made_them(behind_proxy):
    proxy = behind_proxy(TRUSTED_PROXIES="127.0.0.1/32", LOGIN_MAX_FAILURES_PER_IP="20")
    account = _account()
    attacker, neighbour = _client(), _client()

    # 20 wrong passwords for 20 usernames from one client, each claiming another origin in its own header
    for n in range(20):
        status = proxy.login(f"guess-{uuid.uuid4().hex[:8]}", "wrong", client=attacker, spoof=f"198.51.100.{n + 1}")
        assert status == 401

    # that client is locked out, even with a real account's right password and yet another spoofed origin
    assert proxy.login(account.username, PASSWORD, client=attacker, spoof="198.51.100.200") == 429
    # another client behind the same proxy signs in
    assert proxy.login(account.username, PASSWORD, client=neighbour) == 200
    # the attempts are recorded under the clients' real addresses, never the spoofed ones or the proxy's
    ips = set(LoginAttempt.objects.values_list("ip", flat=True))
    assert ips == {attacker, neighbour}
    assert LoginAttempt.objects.filter(ip=attacker, reason="bad_credentials").count() == 20
    assert LoginAttempt.objects.filter(ip=attacker, reason="locked").count() == 1


def test_without_trusted_proxies_everybody_behind_the_proxy_shares_one_bucket(behind_proxy):
    # the default trusts no proxy: every request comes from the proxy's address, 127.0.0.1, and that is
    # why TRUSTED_PROXIES must be set behind one
    proxy = behind_proxy(LOGIN_MAX_FAILURES_PER_IP="20")
    account = _account()
    for _ in range(20):
        assert proxy.login(f"guess-{uuid.uuid4().hex[:8]}", "wrong", client=_client()) == 401

    # a client who never failed is locked out with everybody else
    assert proxy.login(account.username, PASSWORD, client=_client()) == 429
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_parallel_wrong_passwords_through_the_proxy_get_only_the_allowed_tries(behind_proxy):
    proxy = behind_proxy(TRUSTED_PROXIES="127.0.0.1/32", LOGIN_MAX_FAILURES="5")
    account = _account()

    # 60 wrong passwords for one account at once, from 60 clients (the per-address limit plays no part)
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda n: proxy.login(account.username, f"wrong-{n}", client=_client()), range(60)))

    tried = LoginAttempt.objects.filter(username=account.username, reason="bad_credentials").count()
    assert tried == 5, f"{tried} passwords were checked"
    assert statuses.count(401) == 5
    assert statuses.count(429) == 55
    # and the right password is refused too, until the lockout passes
    assert proxy.login(account.username, PASSWORD, client=_client()) == 429
