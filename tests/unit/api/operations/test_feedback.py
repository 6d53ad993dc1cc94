"""The per-address limit of visitors' feedback: every window counts, the wait is exact, refused
attempts are not counted, and keys do not share counts."""

from __future__ import annotations

import pytest

from api.operations.feedback import RateLimit, TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_past_the_limit_waits_until_the_oldest_expires() -> None:
    clock = Clock()
    limit = RateLimit([(3, 600), (5, 86_400)], clock=clock)
    for _ in range(3):
        limit.take("a")
        clock.now += 10
    with pytest.raises(TooManyRequests) as refused:
        limit.take("a")
    assert refused.value.retry_after == 600 - 30
    limit.take("b")  # another address has its own count
    clock.now += 570
    limit.take("a")  # the first event left the window


def test_the_daily_window_holds_after_the_bursts_pass() -> None:
    clock = Clock()
    limit = RateLimit([(2, 600), (4, 86_400)], clock=clock)
    for _ in range(4):
        limit.take("a")
        clock.now += 600
    with pytest.raises(TooManyRequests) as refused:
        limit.take("a")
    assert refused.value.retry_after == 86_400 - 4 * 600
    for _ in range(10):  # refused attempts do not push the wait further out
        with pytest.raises(TooManyRequests):
            limit.take("a")
    clock.now += 86_400 - 4 * 600
    limit.take("a")
