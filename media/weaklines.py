"""The worker's side of weak lines: feeds :mod:`media.netwatch` from aiortc's RTCP and applies its levels
(docs/media.md, "Weak lines"). One :class:`RoomLines` per room, driven by four small hooks in
``media/worker.py`` (marked ``# weak lines``): a subscription's senders, a publish connection's receivers,
a departure, and a tick a second.

* Downlink, per subscriber: every RTCP receiver report the subscriber sends about one of our streams
  (aiortc's ``RTCRtpSender._handle_rtcp_packet``, wrapped: fraction lost, jitter, the sender's round-trip
  estimate) and every REMB go to the subscriber's :class:`~media.netwatch.LineWatch`. Reports about a
  stream we sent nothing on since the last one (a paused picture) are ignored: they would dilute the loss.
  A level applies to that subscriber's outgoing **video** tracks only (``ForwardTrack.paused``): at
  ``floor``, only the floor holder's (else the host's) picture goes on; at ``audio``, none. Audio is never
  paused. The subscriber is told ``media.quality`` ``{level, video_from}``; the page says it in words.
* Uplink, per publisher: the loss of their incoming streams at our receivers (:class:`LossCounter`, from
  aiortc's own receiver statistics). A weak uplink tells the publisher ``media.uplink`` ``{video: false}``
  (send voice only; the page pauses its camera's encoding) and everyone ``media.line`` ``{pid, weak}`` —
  the host sees whose line is weak.
"""

from __future__ import annotations

import logging
import time

from media.netwatch import AUDIO, FLOOR, FULL, NAMES, LineWatch, LossCounter, Thresholds, UplinkWatch

logger = logging.getLogger(__name__)


class RoomLines:
    def __init__(self, send, thresholds: Thresholds | None = None):
        self.send = send  # async (pid, frame) -> None
        self.thresholds = thresholds or Thresholds.from_settings()
        self.down: dict[str, LineWatch] = {}  # subscriber -> watch
        self.up: dict[str, LineWatch] = {}  # publisher -> watch
        self.video: dict[tuple[str, str], object] = {}  # (subscriber, publisher) -> outgoing video track
        self.senders: dict[tuple[str, str], list] = {}
        self.receivers: dict[str, list] = {}  # publisher -> [(receiver, {ssrc: LossCounter})]
        self.shown: dict[str, list[str]] = {}  # subscriber -> publishers whose picture it gets (last told)

    # --- hooks ------------------------------------------------------------------------------------------

    def subscription(self, subscriber: str, publisher: str, pairs) -> None:
        """A new ``sub:`` connection: ``pairs`` are its (sender, track)."""
        watch = self.down.setdefault(subscriber, LineWatch(self.thresholds))
        self.senders[(subscriber, publisher)] = [sender for sender, _ in pairs]
        for sender, track in pairs:
            if track.kind == "video":
                self.video[(subscriber, publisher)] = track
            self._tap_sender(sender, watch)

    def publishing(self, publisher: str, receiver) -> None:
        self.up.setdefault(publisher, UplinkWatch(self.thresholds))
        self.receivers.setdefault(publisher, []).append((receiver, {}))

    def gone(self, pid: str) -> None:
        self.down.pop(pid, None)
        self.up.pop(pid, None)
        self.receivers.pop(pid, None)
        self.shown.pop(pid, None)
        for key in [k for k in self.video if pid in k]:
            self.video.pop(key, None)
            self.senders.pop(key, None)

    def chosen_audio_only(self, pid: str, on: bool) -> None:
        watch = self.down.setdefault(pid, LineWatch(self.thresholds))
        watch.pin(on, time.monotonic())

    @staticmethod
    def _tap_sender(sender, watch: LineWatch) -> None:
        original = sender._handle_rtcp_packet
        last = {"count": 0}

        async def handle(packet):
            await original(packet)
            try:
                now = time.monotonic()
                fci = getattr(packet, "fci", None)
                if fci is not None and getattr(packet, "fmt", None) == 15:  # REMB (PSFB APP)
                    from aiortc.rtcp import unpack_remb_fci

                    bitrate, ssrcs = unpack_remb_fci(fci)
                    if sender._ssrc in ssrcs:
                        watch.report(now, remb=bitrate)
                    return
                for report in getattr(packet, "reports", ()):
                    if report.ssrc != sender._ssrc:
                        continue
                    count = sender._RTCRtpSender__packet_count
                    sent, last["count"] = count - last["count"], count
                    clock = 90000 if sender.kind == "video" else 48000
                    watch.report(now, loss=report.fraction_lost / 256 if sent > 0 else None,
                                 rtt=sender._RTCRtpSender__rtt, jitter=report.jitter / clock, kind=sender.kind)
            except Exception:  # noqa: BLE001 - statistics never break the media
                logger.debug("weak-line report failed", exc_info=True)

        sender._handle_rtcp_packet = handle

    # --- the tick --------------------------------------------------------------------------------------

    async def tick(self, state: dict, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        participants = state.get("participants") or {}
        for subscriber, watch in list(self.down.items()):
            changed = watch.tick(now, sending=any(k[0] == subscriber for k in self.senders))
            self.apply(subscriber, watch.level, state)
            if changed is not None:
                logger.info("weak line: %s downlink -> %s (%s)", subscriber, NAMES[changed], watch.history[-1][2])
                await self.send(subscriber, {"type": "media.quality", "level": NAMES[changed],
                                             "video_from": self.shown.get(subscriber, []),
                                             "loss": round(watch.loss, 3), "chosen": watch.pinned})
        for publisher, watch in list(self.up.items()):
            for receiver, counters in self.receivers.get(publisher, []):
                streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", {})
                for ssrc, stream in list(streams.items()):
                    loss = counters.setdefault(ssrc, LossCounter()).sample(stream)
                    if loss is not None:
                        watch.report(now, loss=loss, kind=getattr(receiver, "_RTCRtpReceiver__kind", "audio"))
            changed = watch.tick(now, sending=False)
            if changed is not None:
                weak = changed != FULL
                logger.info("weak line: %s uplink -> %s", publisher, "weak" if weak else "good")
                await self.send(publisher, {"type": "media.uplink", "video": not weak, "loss": round(watch.loss, 3)})
                for pid, p in participants.items():
                    if pid != publisher and p.get("status") == "admitted":
                        await self.send(pid, {"type": "media.line", "pid": publisher, "weak": weak})

    def apply(self, subscriber: str, level: int, state: dict) -> None:
        """Pause or resume ``subscriber``'s outgoing pictures for ``level``."""
        keep = featured(state)
        shown = []
        for (sub, publisher), track in list(self.video.items()):
            if sub != subscriber:
                continue
            show = level == FULL or (level == FLOOR and publisher == keep)
            track.set_paused(not show)
            if show:
                shown.append(publisher)
        self.shown[subscriber] = sorted(shown)


def featured(state: dict) -> str | None:
    """Whose picture a subscriber at ``floor`` keeps: the floor holder's, else the host's."""
    participants = state.get("participants") or {}
    floor = state.get("floor")
    if floor in participants:
        return floor
    return next((pid for pid, p in participants.items() if p.get("role") == "host" and p.get("status") == "admitted"), None)


__all__ = ["AUDIO", "FLOOR", "FULL", "RoomLines", "featured"]


CONSENT_RETRANSMISSIONS = 3  # 0.5 + 1 + 2 + 4 s for an answer, instead of aioice's single 0.5 s try
CONSENT_FAILURES = 12  # missed checks in a row before the connection is given up (~60 s; aioice: 6)


def tolerate_slow_consent() -> None:
    """aioice checks consent (RFC 7675) every ~5 s with **no retransmission** and a 0.5 s timeout, and
    closes the connection after 6 misses: a weak line (200 ms RTT plus a full queue, or a burst of loss)
    or a busy worker loses connections that still carry media — measured: a citizen's connections at
    300 kbit/s, 200 ms, 2 % closed within a minute. Browsers wait ~30 s without an answer. This gives each
    check three retransmissions (STUN's doubling RTO) and gives up after 12 missed checks (~60 s; a participant
who leaves is dropped by the room protocol anyway), otherwise aioice's own loop. Applied once, at import
    of this module (the worker's)."""
    from aioice import ice, stun

    if getattr(ice.Connection.query_consent, "weak_lines", False):
        return

    async def query_consent(self) -> None:
        import asyncio
        import random

        assert self.remote_password is not None
        failures = 0
        while True:
            await asyncio.sleep(ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
            for pair in self._nominated.values():
                request = self.build_request(pair, nominate=False)
                try:
                    await pair.protocol.request(request, pair.remote_addr,
                                                integrity_key=self.remote_password.encode("utf8"),
                                                retransmissions=CONSENT_RETRANSMISSIONS)
                    failures = 0
                except stun.TransactionError:
                    failures += 1
                if failures >= CONSENT_FAILURES:
                    logger.info("ICE consent to send expired")
                    self._query_consent_task = None
                    return await self.close()

    query_consent.weak_lines = True
    ice.Connection.query_consent = query_consent


tolerate_slow_consent()
