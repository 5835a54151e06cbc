"""Where the media worker listens: the addresses its ICE host candidates use and the UDP port range
(``MEDIA_BIND_ADDRESSES``, ``MEDIA_UDP_PORT_MIN``/``MAX``), so a firewall can open exactly that range.

aiortc/aioice have no setting for either: aioice gathers on every interface address but loopback and binds
ephemeral ports (``local_addr=(address, 0)``). In the worker process — and only there — ``apply`` replaces
aioice's address list and gives the event loop a ``create_datagram_endpoint`` that picks a free port in the
range for those binds. Sockets towards a TURN server (no ``local_addr``) are not affected.
"""

from __future__ import annotations

import asyncio
import random

import aioice.ice


class NoFreePort(OSError):
    pass


def apply(loop: asyncio.AbstractEventLoop, addresses: list[str], port_min: int, port_max: int) -> None:
    if addresses:
        chosen = list(addresses)
        aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: list(chosen)
    if not (port_min and port_max):
        return
    if not 0 < port_min <= port_max < 65536:
        raise ValueError(f"bad UDP port range {port_min}-{port_max}")
    original = loop.create_datagram_endpoint

    async def in_range(protocol_factory, local_addr=None, **kwargs):
        if local_addr is None or local_addr[1] != 0:
            return await original(protocol_factory, local_addr=local_addr, **kwargs)
        ports = list(range(port_min, port_max + 1))
        random.shuffle(ports)
        for port in ports:
            try:
                return await original(protocol_factory, local_addr=(local_addr[0], port), **kwargs)
            except OSError:
                continue
        raise NoFreePort(f"no free UDP port in {port_min}-{port_max} on {local_addr[0]}")

    loop.create_datagram_endpoint = in_range
