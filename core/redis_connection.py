"""A redis-py asyncio connection whose commands can always be cancelled (the channel layer's and the media
worker's Redis connections use it).

redis-py 8 sends every command through ``asyncio.wait_for(..., socket_timeout)``. On Python 3.11,
``wait_for`` *swallows* a cancellation that arrives in the loop iteration in which the write finishes
(CPython gh-86296, fixed in 3.12): the command goes on as if nothing happened. A channel-layer receive is a
5-second BZPOPMIN, retried on timeouts, so a cancelled consumer kept its Daphne alive for another 5–50 s:
a deploy's SIGTERM during a reception did not stop the server (tests/test_room_integration.py, shutdown
test; a deterministic reproduction in tests/test_redis_cancellation.py). This class notices the swallowed
cancellation — the task's cancel count went up, yet the write returned — and raises it again.
"""

from __future__ import annotations

import asyncio

from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection, parse_url


class CancellableCommandsMixin:
    async def send_packed_command(self, command, check_health: bool = True) -> None:
        task = asyncio.current_task()
        requested_before = task.cancelling() if task is not None else 0
        await super().send_packed_command(command, check_health=check_health)
        if task is not None and task.cancelling() > requested_before:
            # Cancelled while writing, and wait_for dropped it: the reply of this command will never be read,
            # so the connection is out of step — close it, as redis-py does on any error mid-command.
            await self.disconnect(nowait=True)
            raise asyncio.CancelledError()


class CancellableConnection(CancellableCommandsMixin, Connection):
    pass


class CancellableSSLConnection(CancellableCommandsMixin, SSLConnection):
    pass


class CancellableUnixDomainSocketConnection(CancellableCommandsMixin, UnixDomainSocketConnection):
    pass


CANCELLABLE = {Connection: CancellableConnection, SSLConnection: CancellableSSLConnection,
               UnixDomainSocketConnection: CancellableUnixDomainSocketConnection}


def pool_options(url: str) -> dict:
    """The keyword arguments of a ``redis.asyncio.ConnectionPool`` for ``url`` (``redis://``, ``rediss://``
    or ``unix://``), with the cancellable connection class of its scheme. The channel layer takes them as a
    ``hosts`` entry (channels-redis builds ``ConnectionPool(**entry)`` from an entry without ``address``)."""
    options = parse_url(url)
    options["connection_class"] = CANCELLABLE[options.get("connection_class", Connection)]
    return options
