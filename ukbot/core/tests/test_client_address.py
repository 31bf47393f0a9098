"""The client's address behind trusted proxies: X-Forwarded-For is read right to left, and only past our proxies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from ukbot.core.client_address import client_ip, trusted_proxies_parse

ROOT = Path(__file__).resolve().parents[3]
PROXIES = "10.0.0.0/8, 127.0.0.1/32, 2001:db8:1::/48"


def _ip(settings, *, peer: str, forwarded: str | None = None, proxies: str = PROXIES) -> str | None:
    settings.TRUSTED_PROXIES = trusted_proxies_parse(proxies)
    request = RequestFactory().get("/", REMOTE_ADDR=peer)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert _ip(settings, peer="127.0.0.1", forwarded="203.0.113.7", proxies="") == "127.0.0.1"


def test_a_peer_that_is_not_trusted_is_the_client_whatever_it_claims(settings):
    assert _ip(settings, peer="198.51.100.9", forwarded="203.0.113.7") == "198.51.100.9"


def test_a_trusted_peer_without_the_header_is_the_client(settings):
    assert _ip(settings, peer="10.1.2.3") == "10.1.2.3"


def test_behind_one_trusted_proxy_the_last_entry_is_the_client(settings):
    assert _ip(settings, peer="127.0.0.1", forwarded="203.0.113.7") == "203.0.113.7"


def test_several_trusted_hops_are_skipped(settings):
    assert _ip(settings, peer="127.0.0.1", forwarded="203.0.113.7, 10.9.9.9 ,10.0.0.2") == "203.0.113.7"


def test_spoofed_entries_left_of_the_client_are_not_believed(settings):
    # the client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.5" itself; our proxy appended its real address
    forwarded = "1.1.1.1, 10.0.0.5, 203.0.113.7, 10.0.0.2"
    assert _ip(settings, peer="127.0.0.1", forwarded=forwarded) == "203.0.113.7"


def test_a_client_cannot_pose_as_a_trusted_proxy_to_reach_further_left(settings):
    # "10.0.0.5" left of the client's own address is the client's invention: the walk stops at the client
    assert _ip(settings, peer="10.0.0.1", forwarded="10.0.0.5, 198.51.100.4") == "198.51.100.4"


def test_when_every_hop_is_trusted_the_left_most_is_the_client(settings):
    assert _ip(settings, peer="127.0.0.1", forwarded="10.3.3.3, 10.0.0.2") == "10.3.3.3"


def test_several_header_lines_joined_by_the_server_are_one_list(settings):
    assert _ip(settings, peer="127.0.0.1", forwarded="1.1.1.1,203.0.113.7,10.0.0.2") == "203.0.113.7"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("2001:db8:1::5", "2001:db8:ffff::1", "2001:db8:ffff::1"),  # IPv6 proxy, IPv6 client
        ("2001:db8:1::5", "203.0.113.7", "203.0.113.7"),  # IPv6 proxy, IPv4 client
        ("::ffff:127.0.0.1", "2001:db8:ffff::1", "2001:db8:ffff::1"),  # dual-stack socket's IPv4 peer
        ("2001:db8:2::5", "203.0.113.7", "2001:db8:2::5"),  # an IPv6 peer outside the trusted network
        ("127.0.0.1", "[2001:db8:ffff::1]:443", "2001:db8:ffff::1"),  # bracketed, with a port
        ("127.0.0.1", "203.0.113.7:5678", "203.0.113.7"),  # IPv4 with a port
    ],
)
def test_ipv6_and_ports(settings, peer, forwarded, client):
    assert _ip(settings, peer=peer, forwarded=forwarded) == client


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("", "127.0.0.1"),
        ("unknown", "127.0.0.1"),
        ("203.0.113.7, garbage", "127.0.0.1"),  # nothing left of garbage can be believed
        ("203.0.113.7, garbage, 10.0.0.2", "10.0.0.2"),  # the trusted hop that passed the garbage on
        ("203.0.113.7,, 10.0.0.2", "10.0.0.2"),
        ("999.1.1.1", "127.0.0.1"),
        ("203.0.113.7 10.0.0.2", "127.0.0.1"),
        ("<script>", "127.0.0.1"),
    ],
)
def test_malformed_entries_stop_the_walk(settings, forwarded, client):
    assert _ip(settings, peer="127.0.0.1", forwarded=forwarded) == client


def test_a_peer_that_is_no_address_gives_none(settings):
    assert _ip(settings, peer="", forwarded="203.0.113.7") is None


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/8", "localhost", "10.0.0.0/8;127.0.0.1", "::1/129"])
def test_a_malformed_setting_is_refused(value):
    with pytest.raises(ValueError, match=r"^'"):
        trusted_proxies_parse(value)


def test_a_malformed_setting_stops_the_start_naming_the_variable():
    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}
    finished = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 2
    assert finished.stderr.startswith(
        "ukbot: configuration error: TRUSTED_PROXIES: expected comma-separated networks such as 10.0.0.0/8"
    )
    assert "'proxy.internal'" in finished.stderr


def test_the_setting_parses_addresses_and_networks():
    parsed = trusted_proxies_parse(" 10.0.0.0/8,127.0.0.1 , ::1,")
    assert [str(network) for network in parsed] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]
    assert trusted_proxies_parse("") == ()
