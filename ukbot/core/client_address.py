"""The address a request came from, behind trusted reverse proxies (``TRUSTED_PROXIES``).

``REMOTE_ADDR`` is the peer of the web server's socket: behind nginx or a load balancer it is the proxy, the same
for every user. Proxies append the address they received a request from to ``X-Forwarded-For``, so the header
reads ``client, proxy1, proxy2`` and only its right-hand part is written by proxies we run; anything to the left
of the first address no trusted proxy vouches for was written by the client and may be forged. The header is
therefore read right to left, skipping our own proxies, and the first address that is not one of them is the
client. gunicorn does not do this (its ``--forwarded-allow-ips`` only trusts the scheme headers).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, TypeAlias

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_proxies_parse(value: str) -> tuple[Network, ...]:
    """Parse comma-separated CIDRs (``10.0.0.0/8, 127.0.0.1``; a bare address is one host).

    :raises ValueError: on an entry that is not a network, or one with host bits set (``10.0.0.1/8`` is a typo
        for something; guessing which would trust the wrong hosts).
    """
    networks = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as exc:
            raise ValueError(f"{item!r}: {exc}") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443", as some proxies write IPv6 with a port
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # "203.0.113.7:5678": IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request: HttpRequest | Request) -> str | None:
    """Return the client's address: the peer, or, when the peer is a trusted proxy, the right-most address of
    ``X-Forwarded-For`` that is not a trusted proxy.

    A malformed entry ends the walk: the last address before it (a trusted proxy that passed it on) is returned,
    as nothing further left can be believed. ``None`` when the peer itself is not an address.
    """
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    networks: tuple[Network, ...] = settings.TRUSTED_PROXIES
    client = peer
    if _trusted(peer, networks):
        for entry in reversed((request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
            hop = _address(entry)
            if hop is None:
                break
            client = hop
            if not _trusted(hop, networks):
                break
    return str(client)
