"""Weak lines: what each subscriber's line can carry, decided from its RTCP reports (docs/media.md,
"Weak lines").

A pure state machine, :class:`LineWatch`, fed by the worker (``media/worker.py``, the ``netwatch`` hooks):
every RTCP receiver report a subscriber sends about one of our streams (loss fraction, jitter, the round
trip the sender measured) and every REMB goes to :meth:`LineWatch.report`; once a second the worker calls
:meth:`LineWatch.tick`, which returns the new level when it changes. It reads no clock of its own and
touches no network, so the tests drive it with made-up reports and times.

Levels, one subscriber at a time (the others keep theirs):

* ``FULL`` (0): every publisher's picture.
* ``FLOOR`` (1): only the picture of whoever has the floor (else the host); the others are audio tiles.
* ``AUDIO`` (2): sound only.

A step down that cures the loss shows the level was more than the line carries (congestion, not random
loss, which a lower level does not cure): that level is not tried again for ``block_seconds``, doubling
each time (up to ``max_block_seconds``) — a 300 kbit/s line settles where it holds instead of probing
every few seconds at the sound's expense.

Down one level when the line has been bad for ``down_seconds`` (loss over ``down_loss``, or a round trip
over ``down_rtt``, or a REMB under ``down_remb_bps`` while video flows), at most once per ``settle_seconds``
(the previous step must show its effect first). Up one level only after ``up_seconds`` of a good line
(loss under ``up_loss`` and round trip under ``down_rtt``); a climb that fails again within
``probation_seconds`` doubles the next wait (up to ``max_up_seconds``): no flapping on a line that only
holds at the lower level. A subscriber who chose "audio only" stays there (``pinned``).
A silent line — no report for ``silent_seconds`` while streams are sent — counts as bad: the reports
themselves are lost.

The same machine watches a **publisher's uplink** (:class:`UplinkWatch`, two levels: with or without
video), fed from the worker's own receiver statistics of that publisher's streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FULL, FLOOR, AUDIO = 0, 1, 2
NAMES = {FULL: "full", FLOOR: "floor", AUDIO: "audio"}


@dataclass
class Thresholds:
    down_loss: float = 0.06
    up_loss: float = 0.03
    down_rtt: float = 1.0  # seconds
    down_remb_bps: float = 0.0  # 0: REMB does not degrade (it only informs the figures)
    down_seconds: float = 2.0
    severe_loss: float = 0.15  # this much loss (a full queue): step down at the first tick, no waiting
    settle_seconds: float = 3.0
    up_seconds: float = 4.0
    max_up_seconds: float = 32.0
    probation_seconds: float = 20.0
    silent_seconds: float = 4.0
    block_seconds: float = 30.0  # a level whose step down cured the loss is not tried again for this long
    max_block_seconds: float = 240.0

    @classmethod
    def from_settings(cls) -> Thresholds:
        from django.conf import settings

        return cls(**getattr(settings, "MEDIA_WEAK_LINE", {}))


@dataclass
class LineWatch:
    thresholds: Thresholds = field(default_factory=Thresholds)
    top: int = AUDIO  # the lowest level this watch may reach
    level: int = FULL
    pinned: bool = False  # the person chose audio only
    loss: float = 0.0  # the last tick's loss fraction (mean of the reports in the second)
    rtt: float | None = None
    jitter: float | None = None  # seconds
    remb: float | None = None
    _losses: list = field(default_factory=list)
    _smooth: float | None = None
    _bad_since: float | None = None
    _good_since: float | None = None
    _changed_at: float = -1e9
    _last_report: float | None = None
    _up_wait: float | None = None
    _climbed_at: float | None = None
    history: list = field(default_factory=list)  # (time, level, reason)
    _check: tuple | None = None  # (level left, when): did leaving it cure the loss? (then it is congestion)
    _blocked: dict = field(default_factory=dict)  # level -> until when climbing to it is not tried
    _block_wait: float | None = None

    def report(self, now: float, *, loss: float | None = None, rtt: float | None = None,
               jitter: float | None = None, remb: float | None = None, kind: str = "audio") -> None:
        """One RTCP report (or one look at a receiver's counters). ``kind``: the stream's; the tick takes the
        worse of the kinds' mean losses (video's NACK/RTX repairs hide loss that audio, unrepaired, suffers)."""
        self._last_report = now
        if loss is not None:
            self._losses.append((kind, min(1.0, max(0.0, loss))))
        if rtt is not None:
            self.rtt = rtt
        if jitter is not None:
            self.jitter = jitter
        if remb is not None:
            self.remb = remb

    def pin(self, on: bool, now: float) -> int | None:
        """The person chose audio only (or stopped choosing it)."""
        self.pinned = on
        if on and self.level != self.top:
            return self._set(self.top, now, "chosen")
        if not on:
            self._good_since = now  # climb back from here, step by step
        return None

    def tick(self, now: float, *, sending: bool = True) -> int | None:
        """Once a second: the level to use from now on if it changed, else None."""
        t = self.thresholds
        if self._up_wait is None:
            self._up_wait = t.up_seconds
        if self._losses:
            kinds: dict[str, list[float]] = {}
            for kind, loss in self._losses:
                kinds.setdefault(kind, []).append(loss)
            latest = max(sum(values) / len(values) for values in kinds.values())
            # the mean of the last two seconds: one unlucky second of a 2 % line is no reason to act
            self.loss = latest if self._smooth is None else (self._smooth + latest) / 2
            self._smooth = latest
            self._losses.clear()
        silent = sending and self._last_report is not None and now - self._last_report > t.silent_seconds
        bad = silent or self.loss >= t.down_loss or (self.rtt is not None and self.rtt >= t.down_rtt) or (
            bool(t.down_remb_bps) and self.remb is not None and self.remb < t.down_remb_bps and self.level < self.top)
        good = not bad and self.loss <= t.up_loss
        if self.pinned:
            return None
        if self._check is not None and now - self._check[1] >= t.settle_seconds:
            left, _ = self._check
            self._check = None
            if not bad:  # stepping down cured it: that level is more than the line carries (congestion), not
                # random loss (which a lower level does not cure): do not try it again soon, longer each time
                self._block_wait = t.block_seconds if self._block_wait is None else min(
                    t.max_block_seconds, self._block_wait * 2)
                self._blocked[left] = now + self._block_wait
        if bad:
            self._good_since = None
            self._bad_since = self._bad_since if self._bad_since is not None else now
            severe = self.loss >= t.severe_loss
            if (self.level < self.top and (severe or now - self._bad_since >= t.down_seconds)
                    and now - self._changed_at >= t.settle_seconds):
                if self._climbed_at is not None and now - self._climbed_at < t.probation_seconds:
                    self._up_wait = min(t.max_up_seconds, self._up_wait * 2)  # the climb did not hold
                self._climbed_at = None
                self._bad_since = now
                why = "silent" if silent else f"loss {self.loss:.0%}" + (f", rtt {self.rtt:.2f}s" if self.rtt else "")
                self._check = (self.level, now)
                return self._set(self.level + 1, now, why)
            return None
        self._bad_since = None
        if not good:
            self._good_since = None
            return None
        self._good_since = self._good_since if self._good_since is not None else now
        if self._climbed_at is not None and now - self._climbed_at >= t.probation_seconds:
            self._climbed_at = None
            self._up_wait = t.up_seconds  # the line held: climbs are quick again
        if (self.level > FULL and now - self._good_since >= self._up_wait and now - self._changed_at >= t.settle_seconds
                and now >= self._blocked.get(self.level - 1, 0)):
            self._climbed_at = now
            self._good_since = now
            return self._set(self.level - 1, now, f"loss {self.loss:.0%}")
        return None

    def _set(self, level: int, now: float, reason: str) -> int:
        self.level = level
        self._changed_at = now
        self.history.append((now, level, reason))
        return level


def UplinkWatch(thresholds: Thresholds | None = None) -> LineWatch:
    """A publisher's uplink: FULL (audio and video) or FLOOR, which for an uplink means "voice only"."""
    return LineWatch(thresholds or Thresholds(), top=FLOOR)


class LossCounter:
    """Loss of one incoming RTP stream between two looks, from aiortc's receiver statistics (RFC 3550
    A.3, the same counters it uses for its own reports, read without resetting them).

    A fraction of a few packets says little: a picture at 15 fps loses one packet in a second of a 2 % line
    and that second reads 7 %, or 15 % (a "full queue") when two go — measured, a citizen's uplink was
    declared weak 4 s into a 2 % line and the step "cured" it, which blocked the climb back. So a sample
    covers at least ``min_expected`` packets (a second of audio, ~3 s of a phone's picture): until then
    ``sample`` returns None and the counts go on adding up."""

    def __init__(self, min_expected: int = 50):
        self.min_expected = min_expected
        self.expected = self.received = None

    def sample(self, stream) -> float | None:
        if stream.max_seq is None:
            return None
        expected = stream.cycles + stream.max_seq - stream.base_seq + 1
        received = stream.packets_received
        if self.expected is None:
            self.expected, self.received = expected, received
            return None
        de, dr = expected - self.expected, received - self.received
        if de < self.min_expected:
            return None  # not enough packets yet: keep counting from the same look
        self.expected, self.received = expected, received
        return max(0.0, (de - dr) / de)
