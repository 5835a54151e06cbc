"""The media worker's ICE addresses and UDP port range (media/network.py) on a real aiortc negotiation."""

import re

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from media import network
from tests.media_clients import ColourTrack


def candidates(sdp: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ host", sdp)]


async def test_host_candidates_use_the_configured_addresses_and_port_range(monkeypatch):
    import asyncio

    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)  # restored afterwards
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "create_datagram_endpoint", loop.create_datagram_endpoint)
    network.apply(loop, ["127.0.0.1"], 41000, 41009)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ColourTrack("red"))
    await pc.setLocalDescription(await pc.createOffer())
    found = candidates(pc.localDescription.sdp)
    await pc.close()
    assert found and all(host == "127.0.0.1" and 41000 <= port <= 41009 for host, port in found), found


async def test_a_full_port_range_is_a_clear_error(monkeypatch):
    import asyncio
    import socket

    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "create_datagram_endpoint", loop.create_datagram_endpoint)
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        network.apply(loop, ["127.0.0.1"], port, port)
        with pytest.raises(network.NoFreePort):
            await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    finally:
        taken.close()
    with pytest.raises(ValueError):
        network.apply(loop, [], 5000, 4000)
