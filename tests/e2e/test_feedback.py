"""Visitors' comments, corrections and ratings through the real app: nothing is public before a
curator of the item's institution approves it, every text is shown as text, hidden items take no
feedback, floods get 429, and other institutions' staff never see a comment."""

from __future__ import annotations

import html as entities
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from repository.comments import CommentStore, RatingStore
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, Repo, governed_repository

PASSWORD = "correct horse battery"
USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("feedback")) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture
def app(repo: Repo) -> Any:
    """A fresh app per test: its rate limits start from nothing."""
    return create_app(repo.settings)


@pytest.fixture
def item(repo: Repo) -> str:
    return repo.ids["public-published"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def visitor(app: Any, item_id: str) -> tuple[TestClient, str]:
    """A browser that opened the item page: its anonymous session and the form's token."""
    client = TestClient(app, base_url="http://heritage.test")
    page = client.get(f"/items/{item_id}", params={"lang": "en"})
    assert page.status_code == 200
    assert "private" in page.headers["cache-control"]
    return client, csrf_of(page.text)


def signed_in(app: Any, name: str) -> TestClient:
    client = TestClient(app, base_url="http://heritage.test")
    form = client.get("/workspace/login")
    data = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    answer = client.post("/workspace/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def send(client: TestClient, item_id: str, csrf: str, **fields: str) -> Any:
    data = {"kind": "comment", "text": "好作品", "name": "", "csrf_token": csrf, **fields}
    return client.post(f"/items/{item_id}/comments", data=data, follow_redirects=False)


def stored(repo: Repo, item_id: str, text: str) -> dict[str, Any]:
    found = [c for c in CommentStore(repo.services.store).for_item(item_id) if c["text"] == text]
    assert len(found) == 1, found
    return found[0]


def decide(client: TestClient, item_id: str, comment_id: str, action: str, **extra: str) -> Any:
    page = client.get("/workspace/")  # its sign-out form carries the session's token
    data = {"item": item_id, "comment": comment_id, "action": action, **extra}
    return client.post(
        "/workspace/comments",
        data={**data, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def public_text(app: Any, item_id: str) -> str:
    page = TestClient(app, base_url="http://heritage.test").get(f"/items/{item_id}?lang=en")
    assert page.status_code == 200
    return page.text


def test_a_comment_is_public_only_once_approved(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    text = "这是蔚县，不是丰宁"
    answer = send(client, item, csrf, kind="correction", text=text, name="老王", contact="w@x.cn")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/items/{item}?feedback=thanks#feedback"
    thanks = client.get(answer.headers["location"].replace("#", "&lang=en#"))
    assert message("en", "feedback.thanks") in thanks.text
    assert text not in thanks.text  # nothing echoed before review
    assert text not in public_text(app, item)

    comment = stored(repo, item, text)
    assert comment["status"] == "pending" and comment["kind"] == "correction"
    assert "testclient" not in str(comment)  # the address only as a hash
    curator = signed_in(app, "curator-a")
    queue = curator.get("/workspace/comments")
    assert text in queue.text and "w@x.cn" in queue.text  # the contact is for curators
    assert decide(curator, item, comment["id"], "approve").status_code == 303

    page = public_text(app, item)
    assert text in page and "老王" in page
    assert "w@x.cn" not in page  # never shown publicly
    assert text not in curator.get("/workspace/comments").text  # no longer pending
    assert text in curator.get("/workspace/comments?status=approved").text


def test_a_rejected_comment_never_shows(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    send(client, item, csrf, text="广告：便宜出售")
    comment = stored(repo, item, "广告：便宜出售")
    curator = signed_in(app, "curator-a")
    answer = decide(curator, item, comment["id"], "reject")
    assert answer.headers["location"].endswith("done=reject")
    assert "广告：便宜出售" not in public_text(app, item)
    assert stored(repo, item, "广告：便宜出售")["status"] == "rejected"


def test_markup_in_a_comment_is_shown_as_text(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    script = "<script>alert('x')</script>"
    name = '<img src=x onerror="alert(1)">'
    send(client, item, csrf, text=f"看 {script}", name=name)
    comment = stored(repo, item, f"看 {script}")
    curator = signed_in(app, "curator-a")
    queue = curator.get("/workspace/comments").text
    assert script not in queue and name not in queue
    assert decide(curator, item, comment["id"], "reply", reply="<b>谢谢</b>").status_code == 303
    decide(curator, item, comment["id"], "approve")
    page = public_text(app, item)
    assert script not in page and name not in page and "<b>谢谢</b>" not in page
    assert entities.escape(script) in page or "&lt;script&gt;" in page
    assert "&lt;b&gt;谢谢&lt;/b&gt;" in page


@pytest.mark.parametrize("hidden", ["public-draft", "restricted", "embargoed", "b-review"])
def test_a_hidden_item_takes_no_feedback(repo: Repo, app: Any, item: str, hidden: str) -> None:
    client, csrf = visitor(app, item)
    target = repo.ids[hidden]
    assert send(client, target, csrf, text="秘密").status_code == 404
    rated = client.post(f"/items/{target}/rating", data={"stars": "5", "csrf_token": csrf})
    assert rated.status_code == 404
    missing = send(client, "no-such-item-000", csrf, text="秘密")
    assert missing.status_code == 404
    assert CommentStore(repo.services.store).for_item(target) == []
    assert repo.services.store.stat(f"ratings/{target}.json") is None


def test_a_flood_from_one_address_is_refused(repo: Repo, app: Any, item: str) -> None:
    settings = repo.settings
    client, csrf = visitor(app, item)
    before = len(CommentStore(repo.services.store).for_item(item))
    for n in range(settings.comments_per_burst):
        assert send(client, item, csrf, text=f"刷屏 {n}").status_code == 303
    other, other_csrf = visitor(app, item)  # a new session from the same address
    for lang in ("zh", "en"):
        answer = other.post(
            f"/items/{item}/comments?lang={lang}",
            data={"kind": "comment", "text": "还要刷", "csrf_token": other_csrf},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) > 0
        minutes = -(-int(answer.headers["retry-after"]) // 60)
        assert message(lang, "feedback.too_many", minutes=minutes) in answer.text
    after = CommentStore(repo.services.store).for_item(item)
    assert len(after) == before + settings.comments_per_burst


def test_a_comment_without_the_forms_token_is_refused(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    assert send(client, item, "").status_code == 403
    assert send(client, item, "forged-token").status_code == 403
    stranger = TestClient(app, base_url="http://heritage.test")  # no session at all
    assert send(stranger, item, csrf).status_code == 403
    rated = stranger.post(f"/items/{item}/rating", data={"stars": "5", "csrf_token": csrf})
    assert rated.status_code == 403
    assert not [
        c for c in CommentStore(repo.services.store).for_item(item) if c["text"] == "好作品"
    ]


def test_bad_input_is_named_in_the_visitors_language(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    cases = {"text": {"text": "  "}, "text_long": {"text": "长" * 2001}, "kind": {"kind": "x"}}
    cases["name_long"] = {"name": "名" * 81}
    cases["characters"] = {"text": "bad \x07 bell"}
    for problem, fields in cases.items():
        answer = send(client, item, csrf, **fields)
        assert answer.headers["location"] == f"/items/{item}?feedback={problem}#feedback"
        page = client.get(answer.headers["location"].replace("#", "&lang=zh#"))
        assert message("zh", f"feedback.problem.{problem}") in page.text


def test_an_archivist_cannot_moderate(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    send(client, item, csrf, text="档案员不能审")
    comment = stored(repo, item, "档案员不能审")
    archivist = signed_in(app, "archivist-a")
    assert archivist.get("/workspace/comments").status_code == 403
    token = csrf_of(archivist.get("/workspace/").text)
    data = {"item": item, "comment": comment["id"], "action": "approve", "csrf_token": token}
    assert archivist.post("/workspace/comments", data=data).status_code == 403
    assert stored(repo, item, "档案员不能审")["status"] == "pending"
    assert 'id="link-comments"' not in archivist.get("/workspace/").text


def test_another_institutions_curator_never_sees_it(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    send(client, item, csrf, text="只给博物馆看")
    comment = stored(repo, item, "只给博物馆看")
    other = signed_in(app, "curator-b")
    for status in ("pending", "approved", "rejected"):
        assert "只给博物馆看" not in other.get(f"/workspace/comments?status={status}").text
    answer = decide(other, item, comment["id"], "approve")
    assert answer.headers["location"].endswith("done=missing")
    assert stored(repo, item, "只给博物馆看")["status"] == "pending"
    b_item = repo.ids["b-public"]  # B's curator does see comments on B's items
    send(client, b_item, csrf, text="图书馆的条目")
    assert "图书馆的条目" in other.get("/workspace/comments").text
    assert "图书馆的条目" not in signed_in(app, "curator-a").get("/workspace/comments").text


def test_a_reply_shows_under_its_approved_comment(repo: Repo, app: Any, item: str) -> None:
    client, csrf = visitor(app, item)
    send(client, item, csrf, text="是哪位艺人剪的？")
    comment = stored(repo, item, "是哪位艺人剪的？")
    curator = signed_in(app, "curator-a")
    empty = decide(curator, item, comment["id"], "reply", reply="  ")
    assert empty.headers["location"].endswith("done=reply_empty")
    decide(curator, item, comment["id"], "reply", reply="王老汉，1982 年")
    assert "王老汉，1982 年" not in public_text(app, item)  # not before approval
    decide(curator, item, comment["id"], "approve")
    page = public_text(app, item)
    block = page[page.index(f'id="comment-{comment["id"]}"') :]
    assert "是哪位艺人剪的？" in block and "王老汉，1982 年" in block.split("</li>")[0]
    assert message("en", "feedback.reply_by") in block.split("</li>")[0]


def test_ratings_average_and_a_repeat_replaces(repo: Repo, app: Any) -> None:
    item = repo.ids["b-public"]
    first, first_csrf = visitor(app, item)
    second, second_csrf = visitor(app, item)
    assert message("en", "rating.none") in public_text(app, item)
    answer = first.post(
        f"/items/{item}/rating",
        data={"stars": "5", "csrf_token": first_csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("rated=5#rating")
    second.post(f"/items/{item}/rating", data={"stars": "2", "csrf_token": second_csrf})
    expected = message("en", "rating.average", average="3.5", count=2)
    assert expected in public_text(app, item)
    first.post(f"/items/{item}/rating", data={"stars": "3", "csrf_token": first_csrf})
    assert message("en", "rating.average", average="2.5", count=2) in public_text(app, item)
    bad = first.post(f"/items/{item}/rating", data={"stars": "9", "csrf_token": first_csrf})
    assert message("en", "feedback.problem.stars") in bad.text
    assert message("en", "rating.average", average="2.5", count=2) in bad.text


def test_a_cross_site_arrival_keeps_the_visitors_session(app: Any, item: str) -> None:
    """A signed-in person following a link from another site (their SameSite=Strict cookie not
    sent) must not get a fresh anonymous cookie that would sign them out."""
    client = TestClient(app, base_url="http://heritage.test")
    page = client.get(f"/items/{item}", headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert 'id="feedback-open"' in page.text and "csrf_token" not in page.text


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_insights_show_the_most_valued_and_most_corrected(repo: Repo, app: Any) -> None:
    valued, corrected = repo.ids["b-public"], repo.ids["public-published"]
    for _ in range(3):
        client, csrf = visitor(app, valued)
        client.post(f"/items/{valued}/rating", data={"stars": "5", "csrf_token": csrf})
    hidden = repo.ids["public-draft"]  # ratings stored for a hidden item never show
    for rater in "abc":
        RatingStore(repo.services.store).rate(hidden, rater * 64, 5)
    client, csrf = visitor(app, corrected)
    send(client, corrected, csrf, kind="correction", text="年代应为 1950 年代")
    send(client, valued, csrf, kind="correction", text="还没审核的纠错")
    curator = signed_in(app, "curator-a")
    decide(curator, corrected, stored(repo, corrected, "年代应为 1950 年代")["id"], "approve")

    page = curator.get("/insights?lang=zh")
    assert page.status_code == 200
    best = section(page.text, "insights-valued")
    assert repo.title("b-public") in best and repo.title("public-draft") not in best
    most = section(page.text, "insights-corrected")
    assert repo.title("public-published") in most
    assert repo.title("b-public") not in most  # its correction is still pending
