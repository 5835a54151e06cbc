"""A user-space UDP relay that makes a bad line: delay, loss (seeded) and a rate limit, each way.

This kernel has no ``netem`` (docs/media.md, "Weak lines"), so the media tests put this relay between a
client and the media worker. Each peer connection of the client gets a :class:`Link`: two UDP sockets,
``near`` (which the client takes for the worker) and ``far`` (which the worker takes for the client).
:func:`Line.rewrite` puts them into the SDP each side receives (every ICE candidate is replaced by the one
socket), so **each side sees only the relay's address** and every packet, ICE checks included, crosses it:

    client ──► near ──(uplink: loss, rate, delay)──► far ──► worker
    client ◄── near ◄──(downlink: loss, rate, delay)── far ◄── worker

All links of one :class:`Line` share its two :class:`Direction` objects, so the rate limit is the line's
(300 kbps for all of a citizen's connections together), as on a real access line. A direction is, in
order: random loss (``random.Random(seed)``: the same run loses the same packets), a token bucket of
``rate_bps`` with a ``burst`` and a queue of at most ``queue_seconds`` of traffic (a packet that would wait
longer is dropped, like ``tbf``'s ``latency``), then a constant ``delay``. Settings change at run time
(:meth:`Direction.set`), so a test can make the line recover.

Command line (one fixed link, e.g. for a browser told to use it by a rewritten candidate)::

    python -m tests.tools.udp_impair --listen 127.0.0.1:40000 --target 10.0.0.5:42000 \
        --delay-ms 100 --loss 0.02 --rate-kbps 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import socket
import struct
import time
from dataclasses import dataclass, field


@dataclass
class Direction:
    """One way of a line. ``delay`` in seconds, ``loss`` a fraction, ``rate_bps`` None = unlimited."""

    delay: float = 0.0
    loss: float = 0.0
    rate_bps: float | None = None
    burst: int = 3000  # bytes the bucket holds (two full-size packets: a tbf with a small burst)
    queue_seconds: float = 0.2  # at most this much waiting traffic; beyond it, tail drop
    seed: int = 0
    sent: int = 0
    lost: int = 0  # random loss
    dropped: int = 0  # queue overflow (the rate limit)
    bytes: int = 0
    _random: random.Random = field(init=False, repr=False)
    _tokens: float = field(init=False, default=0.0)
    _updated: float = field(init=False, default=0.0)
    _backlog_until: float = field(init=False, default=0.0)

    def __post_init__(self):
        self._random = random.Random(self.seed)
        self._tokens = self.burst

    def set(self, **changes) -> None:
        for name, value in changes.items():
            if not hasattr(self, name) or name.startswith("_"):
                raise AttributeError(name)
            setattr(self, name, value)

    def admit(self, size: int, now: float) -> float | None:
        """When a packet of ``size`` bytes offered at ``now`` comes out of this direction (None: lost)."""
        if self.loss and self._random.random() < self.loss:
            self.lost += 1
            return None
        leave = now
        if self.rate_bps:
            rate = self.rate_bps / 8  # bytes per second
            # the bucket refills from the last departure; packets leave in order (one queue)
            start = max(now, self._backlog_until)
            # (arrival stamps of two sockets may come out of order by a little: no negative refill)
            tokens = min(self.burst, self._tokens + max(0.0, start - self._updated) * rate)
            if tokens >= size:
                leave, tokens_after, updated = start, tokens - size, start
            else:
                leave = start + (size - tokens) / rate
                tokens_after, updated = 0.0, leave
            if leave - now > self.queue_seconds:
                self.dropped += 1  # the queue is full: this packet goes, the bucket is untouched
                return None
            self._tokens, self._updated = tokens_after, updated
            self._backlog_until = leave
        self.sent += 1
        self.bytes += size
        return leave + self.delay


class _Socket:
    """A UDP socket read with the **kernel's arrival time** of each datagram (``SO_TIMESTAMPNS``): the relay
    runs in the test clients' busy process, whose event loop may read a socket 100-300 ms late; judged on
    the time it reads them, packets that came evenly would look like a burst and the token bucket would drop
    what the line never saw. On the kernel's stamps the bucket sees the spacing the packets really had."""

    def __init__(self, on_datagram):
        self.on_datagram = on_datagram  # (data, addr, arrived: monotonic seconds)
        self.sock: socket.socket | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.send_errors = 0

    def open(self, host: str, port: int = 0) -> None:
        self.loop = asyncio.get_running_loop()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.setblocking(False)
        self.sock.bind((host, port))
        self.loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        while self.sock is not None:
            try:
                data, ancillary, _, addr = self.sock.recvmsg(65536, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            now_mono, now_real, arrived = time.monotonic(), time.time(), None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    arrived = now_mono - max(0.0, now_real - (seconds + nanoseconds / 1e9))
            self.on_datagram(data, addr, now_mono if arrived is None else arrived)

    def sockname(self) -> tuple[str, int]:
        return self.sock.getsockname()[:2]

    def sendto(self, data: bytes, to) -> None:
        if self.sock is not None:
            try:
                self.sock.sendto(data, to)
            except OSError:  # a full buffer or a closed peer: the packet is lost (counted)
                self.send_errors += 1

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(Exception):
                self.loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None


class Link:
    """One peer connection through the relay: ``near`` faces the client, ``far`` faces the worker."""

    def __init__(self, line: Line):
        self.line = line
        self.client: tuple[str, int] | None = None  # where the client really listens (from its SDP)
        self.worker: tuple[str, int] | None = None  # where the worker really listens (from its SDP)
        self.near = self.far = None

    async def open(self, near_host: str, far_host: str) -> None:
        self.near, self.far = _Socket(self._from_client), _Socket(self._from_worker)
        self.near.open(near_host)
        self.far.open(far_host)

    def near_address(self) -> tuple[str, int]:
        return self.near.sockname()

    def far_address(self) -> tuple[str, int]:
        return self.far.sockname()

    def _from_client(self, data: bytes, addr, arrived: float) -> None:
        self.client = self.client or addr
        if self.worker is not None:
            self.line.carry(self.line.up, data, self.far, self.worker, arrived)

    def _from_worker(self, data: bytes, addr, arrived: float) -> None:
        self.worker = self.worker or addr
        if self.client is not None:
            self.line.carry(self.line.down, data, self.near, self.client, arrived)

    def close(self) -> None:
        for end in (self.near, self.far):
            if end is not None:
                end.close()


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux

CANDIDATE = re.compile(r"^a=candidate:(\S+) (\d) (udp|UDP) (\d+) (\S+) (\d+) typ host(.*)$")


class Line:
    """A citizen's access line: every link (peer connection) of one client shares ``up`` and ``down``."""

    def __init__(self, up: Direction | None = None, down: Direction | None = None, host: str = "127.0.0.1"):
        self.up, self.down, self.host = up or Direction(), down or Direction(seed=1), host
        self.links: dict[str, Link] = {}

    def set(self, **changes) -> None:
        """The same change both ways (``loss``, ``delay``, ``rate_bps``...)."""
        self.up.set(**changes)
        self.down.set(**changes)

    def carry(self, direction: Direction, data: bytes, out: _Socket, to, arrived: float | None = None) -> None:
        """``data`` arrived (kernel time, monotonic) at one end: through ``direction``, out of the other."""
        now = time.monotonic()
        at = direction.admit(len(data) + 28, now if arrived is None else arrived)  # + IPv4 and UDP headers
        if at is None:
            return
        asyncio.get_running_loop().call_later(max(0.0, at - now), out.sendto, data, to)

    async def link(self, pc_id: str) -> Link:
        link = self.links.get(pc_id)
        if link is None:
            link = self.links[pc_id] = Link(self)
            await link.open(self.host, self.host)
        return link

    async def rewrite(self, pc_id: str, sdp: str, *, from_worker: bool) -> str:
        """``sdp`` on its way to the other side: its first IPv4 UDP host candidate becomes the relay's
        socket facing that other side (and the relay learns where to send); every other candidate goes."""
        link = await self.link(pc_id)
        out, chosen = [], None
        for line in sdp.splitlines():
            m = CANDIDATE.match(line)
            if line.startswith("a=candidate:"):
                if m and chosen is None and ":" not in m.group(5):
                    chosen = (m.group(5), int(m.group(6)))
                    host, port = link.near_address() if from_worker else link.far_address()
                    line = f"a=candidate:{m.group(1)} {m.group(2)} udp {m.group(4)} {host} {port} typ host{m.group(7)}"
                elif not (m and chosen == (m.group(5), int(m.group(6)))):
                    continue  # every other address of the side stays unknown to the other
                else:
                    host, port = link.near_address() if from_worker else link.far_address()
                    line = f"a=candidate:{m.group(1)} {m.group(2)} udp {m.group(4)} {host} {port} typ host{m.group(7)}"
            out.append(line)
        if chosen is None:
            raise ValueError("no IPv4 UDP host candidate in the SDP")
        if from_worker:
            link.worker = chosen
        else:
            link.client = chosen
        return "\r\n".join(out) + "\r\n"

    def drop(self, pc_id: str) -> None:
        link = self.links.pop(pc_id, None)
        if link is not None:
            link.close()

    def close(self) -> None:
        for pc_id in list(self.links):
            self.drop(pc_id)

    def stats(self) -> dict:
        stats = {name: {"sent": d.sent, "lost": d.lost, "dropped": d.dropped, "bytes": d.bytes}
                 for name, d in (("up", self.up), ("down", self.down))}
        errors = sum(end.send_errors for link in self.links.values() for end in (link.near, link.far) if end)
        if errors:
            stats["send errors"] = errors
        return stats


async def _main(args) -> None:
    host, port = args.listen.rsplit(":", 1)
    target_host, target_port = args.target.rsplit(":", 1)
    settings = dict(delay=args.delay_ms / 2000, loss=args.loss,
                    rate_bps=args.rate_kbps * 1000 if args.rate_kbps else None)
    line = Line(Direction(seed=args.seed, **settings), Direction(seed=args.seed + 1, **settings), host)
    link = Link(line)
    link.near, link.far = _Socket(link._from_client), _Socket(link._from_worker)
    link.near.open(host, int(port))
    link.far.open(host)
    link.worker = (target_host, int(target_port))
    print(f"relaying {args.listen} -> {args.target} (RTT +{args.delay_ms} ms, loss {args.loss}, "
          f"rate {args.rate_kbps or 'unlimited'} kbps each way)", flush=True)
    while True:
        await asyncio.sleep(5)
        print(line.stats(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="added round-trip time (half each way)")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--rate-kbps", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(_main(parser.parse_args()))
