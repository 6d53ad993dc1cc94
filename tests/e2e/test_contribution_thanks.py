"""The message a curator writes when accepting a contribution reaches the contributor: the form
calls it "a message to the contributor" whatever the decision, so the status page shows it
beside the link to the published item (it used to be shown only for declines, and lost)."""

from __future__ import annotations

import html as entities
from typing import Any

from tests.e2e.test_contributions import app, contributed, decide, status_state

__all__ = ["app"]  # the module's app (with its job runner and curator), a fixture here too

THANKS = "谢谢分享！<b>已收入线上展览</b>"


def test_the_curators_thanks_on_accepting_is_on_the_status_page(app: Any) -> None:
    visitor, status, item_id = contributed(app, title="灯山")
    answer = decide(app, item_id, "accept", THANKS)
    assert answer.status_code == 303 and "done=accepted" in answer.headers["location"]
    assert status_state(visitor, status) == "published"
    page = visitor.get(status).text
    assert f'href="/items/{item_id}"' in page
    assert entities.escape(THANKS) in page  # shown, as text
    assert THANKS not in page


def test_accepting_without_a_message_shows_none(app: Any) -> None:
    visitor, status, item_id = contributed(app, title="社火")
    assert decide(app, item_id, "accept").status_code == 303
    page = visitor.get(status).text
    assert status_state(visitor, status) == "published"
    assert 'id="contribute-message"' not in page
