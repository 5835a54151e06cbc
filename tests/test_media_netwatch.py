"""Weak lines, pure parts: the level state machine (media/netwatch.py) driven by made-up reports and
times, and the impairing relay's direction (tests/tools/udp_impair.py) on its own arithmetic."""

from __future__ import annotations

from media.netwatch import AUDIO, FLOOR, FULL, LineWatch, LossCounter, Thresholds, UplinkWatch
from media.router import AudioPassThrough
from media.weaklines import featured
from tests.tools.udp_impair import Direction


def run(watch: LineWatch, start: float, seconds: int, loss: float, rtt: float = 0.2) -> list[tuple[float, int]]:
    changes = []
    for i in range(seconds):
        now = start + i
        watch.report(now, loss=loss, rtt=rtt)
        level = watch.tick(now + 0.5)
        if level is not None:
            changes.append((now + 0.5, level))
    return changes


def test_a_bad_line_steps_down_one_level_at_a_time_then_audio_only():
    watch = LineWatch(Thresholds())
    changes = run(watch, 0, 12, loss=0.10)
    assert [level for _, level in changes] == [FLOOR, AUDIO]
    assert changes[1][0] - changes[0][0] >= Thresholds().settle_seconds  # the first step shows its effect first


def test_two_percent_random_loss_is_no_reason_to_drop_pictures():
    watch = LineWatch(Thresholds())
    assert run(watch, 0, 30, loss=0.02) == []
    assert watch.level == FULL


def test_a_short_burst_changes_nothing():
    watch = LineWatch(Thresholds())
    assert run(watch, 0, 1, loss=0.12) == [] and run(watch, 1, 10, loss=0.0) == []


def test_a_full_queue_acts_at_once():
    watch = LineWatch(Thresholds())
    assert run(watch, 0, 1, loss=0.3) == [(0.5, FLOOR)]


def test_recovery_climbs_back_step_by_step_with_hysteresis():
    watch = LineWatch(Thresholds())
    run(watch, 0, 12, loss=0.10)
    assert watch.level == AUDIO
    assert run(watch, 12, 3, loss=0.04) == []  # between the thresholds: stay
    changes = run(watch, 15, 12, loss=0.0)
    assert [level for _, level in changes] == [FLOOR, FULL]
    assert changes[-1][0] - 15 <= 10  # the picture is back within 10 s of a good line


def test_a_climb_that_fails_doubles_the_next_wait():
    watch = LineWatch(Thresholds())
    run(watch, 0, 12, loss=0.10)
    first = run(watch, 12, 8, loss=0.0)  # climbs to FLOOR
    assert [level for _, level in first] == [FLOOR]
    run(watch, 20, 5, loss=0.10)  # the picture does not fit: back to AUDIO
    assert watch.level == AUDIO
    changes = run(watch, 25, 50, loss=0.0)  # the loss ended when it stepped down: FLOOR looks like congestion
    assert changes and changes[0][0] - 25 >= 2 * Thresholds().up_seconds  # waited longer this time


def test_a_level_the_line_cannot_carry_is_not_tried_again_soon():
    watch = LineWatch(Thresholds())
    run(watch, 0, 4, loss=0.10)  # congestion at FULL ...
    assert watch.level == FLOOR
    changes = run(watch, 4, 25, loss=0.0)  # ... cured by FLOOR: FULL waits
    assert changes == []
    changes = run(watch, 29, 10, loss=0.0)
    assert [level for _, level in changes] == [FULL] and changes[0][0] >= 2.5 + Thresholds().block_seconds


def test_a_silent_line_counts_as_bad_and_the_choice_of_audio_only_holds():
    watch = LineWatch(Thresholds())
    watch.report(0, loss=0.0)
    levels = [watch.tick(t) for t in range(1, 15)]
    assert FLOOR in levels and AUDIO in levels
    chosen = LineWatch(Thresholds())
    assert chosen.pin(True, 0) == AUDIO
    assert run(chosen, 1, 20, loss=0.0) == [] and chosen.level == AUDIO


def test_an_uplink_has_two_levels_and_rtt_alone_degrades():
    watch = UplinkWatch(Thresholds())
    changes = run(watch, 0, 15, loss=0.0, rtt=1.5)
    assert [level for _, level in changes] == [FLOOR]


def test_an_uplink_loss_sample_covers_enough_packets_to_mean_something():
    from types import SimpleNamespace

    stream = SimpleNamespace(max_seq=None, cycles=0, base_seq=0, packets_received=0)
    counter = LossCounter(min_expected=50)
    assert counter.sample(stream) is None  # nothing received yet
    stream.max_seq, stream.packets_received = 9, 10
    assert counter.sample(stream) is None  # the first look
    stream.max_seq, stream.packets_received = 24, 23  # one of 15 lost (a second of a picture): 7 %, too few
    assert counter.sample(stream) is None
    stream.max_seq, stream.packets_received = 59, 59  # one of 50 lost, counted from the same look
    assert counter.sample(stream) == 1 / 50
    stream.max_seq, stream.packets_received = 109, 99  # the next 50: 10 lost
    assert counter.sample(stream) == 10 / 50


def test_the_featured_picture_is_the_floor_holders_else_the_hosts():
    participants = {"u1": {"role": "host", "status": "admitted"}, "u2": {"role": "citizen", "status": "admitted"}}
    assert featured({"participants": participants}) == "u1"
    assert featured({"participants": participants, "floor": "u2"}) == "u2"


def test_the_relay_direction_loses_the_same_packets_for_the_same_seed_and_limits_the_rate():
    a, b = Direction(loss=0.1, seed=7), Direction(loss=0.1, seed=7)
    assert [a.admit(100, i * 0.01) for i in range(500)] == [b.admit(100, i * 0.01) for i in range(500)]
    assert 30 <= a.lost <= 70
    slow = Direction(rate_bps=300_000, queue_seconds=0.2, delay=0.1)
    # 1 Mbps offered for 2 s into a 300 kbps line: about 300 kbps comes out, the rest is dropped at the queue
    leaves = [slow.admit(1250, i * 0.01) for i in range(200)]
    carried = sum(1250 for t in leaves if t is not None) * 8 / 2
    assert 250_000 <= carried <= 420_000 and slow.dropped > 100
    assert all(t is None or t >= i * 0.01 + 0.1 for i, t in enumerate(leaves))  # never before the delay


def test_the_audio_pass_through_forwards_each_packet_once_and_in_order():
    from aiortc.rtp import RtpPacket

    buffer = AudioPassThrough()

    def packet(seq, ts):
        p = RtpPacket(sequence_number=seq, timestamp=ts)
        p._data = b"x"
        return p

    out = [buffer.add(packet(seq, ts))[1] for seq, ts in ((65534, 0), (65535, 960), (1, 2880), (0, 1920), (1, 2880), (2, 3840))]
    assert [f and f.timestamp for f in out] == [0, 960, 2880, None, None, 3840]  # the wrap is fine, late ones go
    assert buffer.late == 2
