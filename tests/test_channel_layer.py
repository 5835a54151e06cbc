"""The channel layer as configured in project/settings.py, on the real Redis."""

import asyncio

import pytest
from channels.layers import get_channel_layer

pytestmark = [pytest.mark.integration]


async def test_a_burst_for_one_busy_process_is_not_dropped():
    """All the sockets of one Daphne share one Redis list (channels-redis process-local channels), and a
    message to a list at capacity is dropped without a word. A busy process with 50 room sockets, 2,000 room
    events sent before it reads any: every one arrives, in order (the old capacity of 500 lost 1,500)."""
    layer = get_channel_layer()
    channels = [await layer.new_channel() for _ in range(50)]
    assert len({channel.split("!")[0] for channel in channels}) == 1  # one list for the whole process
    for index, channel in enumerate(channels):
        await layer.group_add(f"burst.{index}", channel)
    for number in range(40):
        await asyncio.gather(*(layer.group_send(f"burst.{index}", {"type": "room.frame", "n": number})
                               for index in range(len(channels))))
    for channel in channels:
        for number in range(40):
            message = await asyncio.wait_for(layer.receive(channel), 10)
            assert message["n"] == number
    for index, channel in enumerate(channels):
        await layer.group_discard(f"burst.{index}", channel)


async def test_many_concurrent_sends_wait_for_a_connection_instead_of_failing():
    """redis-py 8 caps a pool at 100 connections and raises beyond it; 300 sends at once must all succeed
    (the bench lost room events to MaxConnectionsError before the pool was sized)."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("concurrent", channel)
    await asyncio.gather(*(layer.group_send("concurrent", {"type": "room.frame", "n": n}) for n in range(300)))
    received = sorted([(await asyncio.wait_for(layer.receive(channel), 10))["n"] for _ in range(300)])
    assert received == list(range(300))
    await layer.group_discard("concurrent", channel)
