"""A cancelled Redis command ends with CancelledError, at every moment of its life (core/redis_connection.py).

On Python 3.11 redis-py's ``wait_for`` around the write drops a cancellation that lands as the write
finishes; a channel-layer receive then went on blocking on BZPOPMIN, and a Daphne told to stop (SIGTERM)
kept running for 5–50 s more. The test cancels a blocking command after 0, 1, 2 … loop iterations, so one of
them lands in that window; with redis-py's own connection class some of them return a result instead.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import redis.asyncio as redis
from django.conf import settings
from redis.asyncio.connection import ConnectionPool, parse_url

from core.redis_connection import CancellableConnection, pool_options

pytestmark = pytest.mark.integration


async def outcomes(options: dict) -> list[str]:
    client = redis.Redis.from_pool(ConnectionPool(**options, socket_timeout=15))
    try:
        await client.ping()
        seen = []
        for iterations in range(12):
            command = asyncio.ensure_future(client.bzpopmin("tcd-test:nothing-ever", timeout=2))
            for _ in range(iterations):
                await asyncio.sleep(0)
            command.cancel()
            try:
                await command
                seen.append("completed")
            except asyncio.CancelledError:
                seen.append("cancelled")
        return seen
    finally:
        await client.aclose()


async def test_a_cancelled_command_is_cancelled_at_every_step():
    url = os.environ["REDIS_URL"]
    assert pool_options(url)["connection_class"] is CancellableConnection
    assert set(await outcomes(pool_options(url))) == {"cancelled"}


async def test_redis_py_alone_drops_some_cancellations_here():
    """The reason for the class: if this starts failing, redis-py or Python fixed the bug and the class can go."""
    assert "completed" in await outcomes(parse_url(os.environ["REDIS_URL"]))


def test_the_channel_layer_uses_the_cancellable_class():
    [host] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["connection_class"] is CancellableConnection and "address" not in host
