"""The item watcher's beat check: a store fault is named as the store's, never the backend's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any, cast

import pytest
from celery import Celery
from celery.result import AsyncResult

from api.operations.queue import ItemFanout, _Flight, _RemoteLane
from repository import ObjectStore
from repository.store import StorageError


class FlakyStore:
    """Reads of the beat fail as a store that is down does; or always answer the same beat."""

    def __init__(self, beat: bytes | None = None):
        self.beat = beat

    def get_bytes(self, key: str) -> bytes:
        if self.beat is None:
            raise StorageError(f"GET {key}: connection refused")
        return self.beat


class DownBroker:
    def send_task(self, *args: Any, **kwargs: Any) -> AsyncResult:
        raise ConnectionError("broker unreachable")


@pytest.fixture
def lane_of() -> Iterator[Any]:
    lanes: list[_RemoteLane] = []

    def make(store: FlakyStore, lease: float) -> _RemoteLane:
        fanout = ItemFanout(cast(ObjectStore, store), "job-1", cast(Celery, DownBroker()), lease)
        lanes.append(_RemoteLane(fanout, "items"))
        return lanes[-1]

    yield make
    for lane in lanes:
        lane.shutdown(wait=False)


def _flight() -> _Flight:
    message = {"job": "job-1", "unit": "unit-1", "task": {"files": []}}
    return _Flight(message, cast(AsyncResult, None), Future())


def test_an_unreadable_beat_names_the_store_the_item_and_the_error(
    lane_of: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lane, flight = lane_of(FlakyStore(), 0.0), _flight()
    with caplog.at_level(logging.WARNING, logger="api.operations.queue"):
        lane._check_beat("unit-1", flight)
    key = "staging/job-1/items/unit-1/beat"
    assert [r.getMessage() for r in caplog.records] == [
        f"item unit-1: its heartbeat could not be read from the store ({key}): "
        f"GET {key}: connection refused"
    ]
    assert flight.beat is None  # nothing read, nothing resent


def test_a_resend_the_broker_refuses_is_named_as_such(
    lane_of: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lane, flight = lane_of(FlakyStore(beat=b"token"), 0.0), _flight()
    lane._check_beat("unit-1", flight)  # the first beat seen
    flight.beat_seen -= 1.0  # the same beat a lease (0 s) later: the worker stopped
    with caplog.at_level(logging.WARNING, logger="api.operations.queue"):
        lane._check_beat("unit-1", flight)
    assert [r.getMessage() for r in caplog.records] == [
        "item unit-1: its worker stopped beating; the resend failed: broker unreachable"
    ]
    assert "result backend" not in caplog.text
