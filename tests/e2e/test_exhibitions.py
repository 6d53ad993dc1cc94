"""Online exhibitions through the real app: composing one in the workspace (sections, entries,
an image detail, a video clip, reordering), review (an archivist submits, a curator publishes or
withdraws), the public story page and IIIF manifest showing sections and entries in order, and
what must never happen: a hidden item of an exhibition leaking on the public page or in the
manifest, bad regions or clips answered with a 500 instead of a named error on the form, an
unpublished exhibition reachable by the public, another institution's staff changing it."""

from __future__ import annotations

import csv
import html as entities
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from iiif_prezi3 import Collection, Manifest

from api.http.app import create_app
from api.http.i18n import message
from repository.authorities import AuthorityStore
from repository.exhibitions import ExhibitionStore
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, Repo, governed_repository
from tests.e2e.workspace_support import csrf_of, signed_in
from tests.support.ingesting import ingest_folder

USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
}
PASSWORD = "correct horse battery"
EXTRA = {
    "exhibit-late": ({"status": "published", "access": "public"}, ("晚到的窗花", "Late window")),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    root = tmp_path_factory.mktemp("exhibitions")
    with governed_repository(root, EXTRA) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        governed.ids["video"] = _ingest_video(governed, root / "video")
        yield governed


def _ingest_video(repo: Repo, folder: Path) -> str:
    """A 3-second published public video of institution A, made here with ffmpeg."""
    folder.mkdir()
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=160x120:rate=10:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         str(folder / "dance.mp4")],
        check=True,
    )  # fmt: skip
    manifest = folder.parent / "video.csv"
    with manifest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [
                ["path", "title_zh", "title_en", "status", "access"],
                ["dance.mp4", "龙舞录像", "Dragon dance video", "published", "public"],
            ]
        )
    report = ingest_folder(repo.settings, folder, manifest, "museum-a-media", institution=INST_A)
    item_id = report.items[0].id
    assert item_id is not None
    return item_id


@pytest.fixture(scope="module")
def app(repo: Repo) -> Any:
    return create_app(repo.settings)


def anonymous(app: Any) -> TestClient:
    return TestClient(app, base_url="http://heritage.test", headers={"Accept-Language": "en"})


def create(client: TestClient, slug: str, title_zh: str = "剪纸里的春节") -> Any:
    page = client.get("/workspace/exhibitions")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "slug": slug, "title_zh": title_zh}
    data["title_en"] = "Spring Festival in paper"
    return client.post("/workspace/exhibitions", data=data, follow_redirects=False)


def form_of(html: str) -> dict[str, str]:
    """What a browser submits from the exhibition form as rendered (checkboxes unticked)."""
    form = html[html.index('class="edit-form exhibition-form"') :]
    inputs = re.findall(r"<input([^>]*)>", form)
    values: dict[str, str] = {}
    for attributes in inputs:
        name = re.search(r'name="([^"]+)"', attributes)
        if not name or 'type="checkbox"' in attributes:
            continue
        value = re.search(r'value="([^"]*)"', attributes)
        values[name.group(1)] = entities.unescape(value.group(1)) if value else ""
    for name, text in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', form
    ):
        values[name] = entities.unescape(text)
    return values


def save(client: TestClient, slug: str, **changes: str) -> Any:
    """Open the form, change fields as a person would, submit it."""
    page = client.get(f"/workspace/exhibitions/{slug}")
    assert page.status_code == 200, page.text
    data = {**form_of(page.text), **changes}
    return client.post(f"/workspace/exhibitions/{slug}", data=data, follow_redirects=False)


def move(client: TestClient, slug: str, status: str) -> Any:
    page = client.get(f"/workspace/exhibitions/{slug}")
    data = {"csrf_token": csrf_of(page.text), "status": status}
    return client.post(f"/workspace/exhibitions/{slug}/status", data=data, follow_redirects=False)


def compose(repo: Repo, client: TestClient, slug: str, hidden: str = "restricted") -> None:
    """Two sections: the published papercut as a detail, then the video clip and the draft
    item (hidden from the public), then a section holding only a `hidden` item (restricted: an
    archivist may not even see it, so an archivist composes with an institution-only one)."""
    assert create(client, slug).status_code == 303
    answer = save(
        client,
        slug,
        intro_zh="春节剪纸的故事。",
        intro_en="The story of Spring Festival papercuts.",
        s1_heading_zh="第一节 窗花",
        s1_heading_en="Window flowers",
        s1_text_en="Cut on red paper.",
        s1_e1_item=repo.ids["public-published"],
        s1_e1_region="pct:25,25,50,50",
        s1_e1_caption_en="The crane's head",
    )
    assert answer.status_code == 303, answer.text
    answer = save(
        client,
        slug,
        s1_e2_item=repo.ids["public-draft"],
        s1_e2_caption_en="DRAFT-CAPTION-NEVER-PUBLIC",
        s2_heading_en="The dance",
        s2_e1_item=repo.ids["video"],
        s2_e1_start="1",
        s2_e1_end="2.5",
        s2_e1_caption_en="The dragon turns",
    )
    assert answer.status_code == 303, answer.text
    answer = save(
        client,
        slug,
        s3_heading_en="Inner rites",
        s3_e1_item=repo.ids[hidden],
        s3_e1_caption_en="RESTRICTED-CAPTION",
    )
    assert answer.status_code == 303, answer.text


def stored(repo: Repo, slug: str) -> dict[str, Any]:
    exhibition = ExhibitionStore(repo.services.store).load(slug)
    assert exhibition is not None, slug
    return exhibition


def test_compose_publish_and_the_public_story_in_order(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    archivist = signed_in(app, "archivist-a", lang="en")
    compose(repo, archivist, "spring-papercuts", hidden="institution")
    public = anonymous(app)
    assert public.get("/exhibitions/spring-papercuts").status_code == 404  # a draft
    assert "spring-papercuts" not in public.get("/exhibitions").text
    assert "spring-papercuts" not in public.get("/api/exhibitions").text
    preview = archivist.get("/workspace/exhibitions/spring-papercuts/preview")
    assert preview.status_code == 200 and "private" in preview.headers["cache-control"]
    assert "Window flowers" in preview.text and 'id="exhibition-preview"' in preview.text
    assert "DRAFT-CAPTION" not in preview.text  # what the public will see: no hidden item

    assert move(archivist, "spring-papercuts", "published").status_code == 409  # not reviewed
    assert move(archivist, "spring-papercuts", "review").status_code == 303
    assert move(archivist, "spring-papercuts", "published").status_code == 403  # a curator's
    listed = curator.get("/workspace/exhibitions").text
    assert 'id="exhibitions-waiting"' in listed and 'data-status="review"' in listed
    assert public.get("/exhibitions/spring-papercuts").status_code == 404  # under review
    # Once submitted, the archivist can no longer change it; the curator can.
    assert save(archivist, "spring-papercuts", title_en="Changed").status_code == 403
    assert move(curator, "spring-papercuts", "published").status_code == 303

    page = public.get("/exhibitions/spring-papercuts")
    assert page.status_code == 200
    text = page.text
    order = ["The story of Spring Festival papercuts", "Window flowers", "Cut on red paper.",
             "The crane&#39;s head", "The dance", "The dragon turns", "Inner rites"]  # fmt: skip
    positions = [text.find(part) for part in order]
    assert -1 not in positions and positions == sorted(positions), positions
    papercut = repo.ids["public-published"]
    # The detail: our IIIF Image API's region of the 96x64 picture.
    assert f'src="/iiif/image/{papercut}/24,16,48,32/max/0/default.jpg"' in text
    assert public.get(f"/iiif/image/{papercut}/24,16,48,32/max/0/default.jpg").status_code == 200
    video = repo.ids["video"]
    assert re.search(rf'<video[^>]+src="/api/items/{video}/files/access#t=1,2.5"', text)
    listing = public.get("/api/exhibitions").json()
    assert [e["slug"] for e in listing["exhibitions"]] == ["spring-papercuts"]
    assert "spring-papercuts" in public.get("/exhibitions").text

    # Zh too.
    zh = public.get("/exhibitions/spring-papercuts", headers={"Accept-Language": "zh"}).text
    assert "春节剪纸的故事。" in zh and "第一节 窗花" in zh

    # Withdrawn: gone for the public again.
    assert move(curator, "spring-papercuts", "withdrawn").status_code == 303
    assert public.get("/exhibitions/spring-papercuts").status_code == 404
    assert public.get("/iiif/exhibitions/spring-papercuts/manifest").status_code == 404
    assert public.get("/api/exhibitions").json()["total"] == 0


def _hidden_never_shown(repo: Repo, body: str) -> None:
    for name in ("public-draft", "restricted"):
        assert repo.ids[name] not in body, name
        assert repo.title(name) not in body, name
    assert "DRAFT-CAPTION" not in body and "RESTRICTED-CAPTION" not in body
    assert "Tiger head" not in body and "Ritual inner" not in body


def test_hidden_items_never_leak_on_the_page_or_in_the_manifest(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    compose(repo, curator, "hidden-check")
    assert move(curator, "hidden-check", "review").status_code == 303
    assert move(curator, "hidden-check", "published").status_code == 303
    public = anonymous(app)
    # A signed-in curator sees the public's view too: the page is never a staff preview.
    for client in (public, curator):
        page = client.get("/exhibitions/hidden-check")
        assert page.status_code == 200
        _hidden_never_shown(repo, page.text)
        # Numbered over what is shown: 2 entries, no gap where the draft was.
        assert re.findall(r'data-n="(\d+)"', page.text) == ["1", "2"]
    manifest = public.get("/iiif/exhibitions/hidden-check/manifest")
    assert manifest.status_code == 200
    _hidden_never_shown(repo, manifest.text)
    document = manifest.json()
    assert len(document["items"]) == 2
    # The section of only a restricted item has no range at all (no empty trace of it).
    assert [r["label"]["en"] for r in document["structures"]] == [
        ["Window flowers"],
        ["The dance"],
    ]

    # An item withdrawn after publication disappears from both at once.
    answer = repo.post(
        "curator-a",
        f"/api/items/{repo.ids['public-published']}/review",
        json={"status": "withdrawn", "reason": "rights unclear"},
    )
    assert answer.status_code == 200, answer.text
    try:
        shown = public.get("/exhibitions/hidden-check").text
        assert repo.ids["public-published"] not in shown and "crane" not in shown.lower()
        manifest = public.get("/iiif/exhibitions/hidden-check/manifest")
        assert repo.ids["public-published"] not in manifest.text
        assert len(manifest.json()["items"]) == 1
    finally:
        for status in ("review", "published"):
            body = {"status": status, "reason": "cleared again"}
            url = f"/api/items/{repo.ids['public-published']}/review"
            assert repo.post("curator-a", url, json=body).status_code == 200


def test_the_manifest_has_ranges_in_order_and_fragment_targets(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    compose(repo, curator, "iiif-shape")
    move(curator, "iiif-shape", "review")
    move(curator, "iiif-shape", "published")
    document = anonymous(app).get("/iiif/exhibitions/iiif-shape/manifest").json()
    Manifest(**document)  # the IIIF community's Presentation 3 models accept it
    base = "http://heritage.test/iiif/exhibitions/iiif-shape"
    assert document["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert document["type"] == "Manifest" and document["id"] == f"{base}/manifest"
    assert document["label"]["zh"] == ["剪纸里的春节"]
    canvases = document["items"]
    assert [c["id"] for c in canvases] == [f"{base}/canvas/1", f"{base}/canvas/2"]
    for canvas in canvases:
        painting = canvas["items"][0]["items"][0]
        assert painting["motivation"] == "painting" and painting["target"] == canvas["id"]
    image, video = canvases
    assert image["items"][0]["items"][0]["body"]["type"] == "Image"
    assert (image["width"], image["height"]) == (96, 64)
    note = image["annotations"][0]["items"][0]
    assert note["target"] == f"{base}/canvas/1#xywh=24,16,48,32"
    assert note["body"]["value"] == "The crane's head"
    assert video["items"][0]["items"][0]["body"]["type"] == "Video"
    assert video["annotations"][0]["items"][0]["target"] == f"{base}/canvas/2#t=1,2.5"
    first, second = document["structures"]
    assert first["type"] == second["type"] == "Range"
    assert first["id"] == f"{base}/range/1" and second["id"] == f"{base}/range/2"
    detail = first["items"][0]
    assert detail["type"] == "SpecificResource"
    assert detail["source"] == {"id": f"{base}/canvas/1", "type": "Canvas"}
    assert detail["selector"]["type"] == "FragmentSelector"
    assert detail["selector"]["value"] == "xywh=24,16,48,32"
    assert second["items"][0]["selector"]["value"] == "t=1,2.5"
    collection = anonymous(app).get("/iiif/exhibitions").json()
    Collection(**collection)
    assert collection["type"] == "Collection"
    assert f"{base}/manifest" in [m["id"] for m in collection["items"]]


def test_the_manifest_names_the_institution_never_its_code(repo: Repo, app: Any) -> None:
    """The requiredStatement is the institution's names by language; an institution nobody
    named has none, rather than its code (governance, not a name)."""
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "iiif-named").status_code == 303
    answer = save(curator, "iiif-named", s1_e1_item=repo.ids["public-published"])
    assert answer.status_code == 303, answer.text
    move(curator, "iiif-named", "review")
    move(curator, "iiif-named", "published")
    unnamed = anonymous(app).get("/iiif/exhibitions/iiif-named/manifest")
    assert unnamed.status_code == 200
    Manifest(**unnamed.json())
    assert "requiredStatement" not in unnamed.json()
    AuthorityStore(repo.services.store).save(
        {
            "id": f"institution-{INST_A}",
            "kind": "institution",
            "names": {"zh": "甲博物馆", "en": "Museum A"},
        }
    )
    fresh = create_app(repo.settings)  # `app` keeps the names it read for a while
    document = anonymous(fresh).get("/iiif/exhibitions/iiif-named/manifest").json()
    Manifest(**document)
    assert document["requiredStatement"] == {
        "label": {"zh": ["提供机构"], "en": ["Provided by"]},
        "value": {"zh": ["甲博物馆"], "en": ["Museum A"]},
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"s1_e1_region": "left half"}, "s1_e1_region", "region_invalid"),
        ({"s1_e1_region": "500,500,10,10"}, "s1_e1_region", "region_outside"),
        ({"s1_e1_region": "pct:0,0,150,10"}, "s1_e1_region", "region_invalid"),
        ({"s1_e1_start": "3", "s1_e1_end": "4"}, "s1_e1_start", "clip_no_media"),
        (
            {"s1_e1_region": "1,1,5,5", "s1_e1_start": "1", "s1_e1_end": "2"},
            "s1_e1_region",
            "region_and_clip",
        ),  # fmt: skip
        ({"s2_e1_start": "2", "s2_e1_end": "1"}, "s2_e1_end", "clip_order"),
        ({"s2_e1_start": "ten", "s2_e1_end": "12"}, "s2_e1_start", "clip_invalid"),
        ({"s2_e1_start": "10", "s2_e1_end": "12"}, "s2_e1_start", "clip_beyond"),
        ({"s2_e1_region": "1,1,5,5"}, "s2_e1_region", "region_no_image"),
        ({"s1_e1_item": "no-such-item"}, "s1_e1_item", "item_unknown"),
        ({"s1_e1_item": "../etc/passwd"}, "s1_e1_item", "item_invalid"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_regions_and_clips_are_named_on_the_form(
    repo: Repo, app: Any, changes: dict[str, str], field: str, code: str, lang: str
) -> None:
    slug = f"bad-{lang}"
    curator = signed_in(app, "curator-a", lang=lang)
    if not ExhibitionStore(repo.services.store).exists(slug):
        assert create(curator, slug).status_code == 303
        answer = save(
            curator,
            slug,
            s1_e1_item=repo.ids["public-published"],
            s2_e1_item=repo.ids["video"],
            s2_e1_caption_en="kept as typed",
        )
        assert answer.status_code == 303, answer.text
    before = ExhibitionStore(repo.services.store).load_versioned(slug)
    answer = save(curator, slug, **changes)
    assert answer.status_code == 422, answer.text
    said = entities.unescape(answer.text)
    assert f'id="problem-{field}"' in answer.text
    assert message(lang, f"exhibitions.problem.{code}") in said
    assert message(lang, "exhibitions.not_saved") in said
    assert form_of(answer.text)[field] == changes[field]  # kept as typed
    assert ExhibitionStore(repo.services.store).load_versioned(slug) == before


def test_a_stale_form_is_a_conflict_not_a_silent_overwrite(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "stale").status_code == 303
    old = curator.get("/workspace/exhibitions/stale").text
    assert save(curator, "stale", intro_en="First").status_code == 303
    answer = curator.post(
        "/workspace/exhibitions/stale", data={**form_of(old), "intro_en": "Second"}
    )
    assert answer.status_code == 409
    assert 'id="exhibition-conflict"' in answer.text
    assert stored(repo, "stale")["introduction"] == {"en": "First"}


def test_another_institutions_staff_cannot_see_or_change_it(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "a-only").status_code == 303
    stored = ExhibitionStore(repo.services.store).load_versioned("a-only")
    other = signed_in(app, "curator-b", lang="en")
    assert other.get("/workspace/exhibitions/a-only").status_code == 404
    token = csrf_of(other.get("/workspace/exhibitions").text)
    for url, data in (
        ("/workspace/exhibitions/a-only", {"title_en": "Mine now"}),
        ("/workspace/exhibitions/a-only/status", {"status": "review"}),
    ):
        answer = other.post(url, data={**data, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 404, (url, answer.status_code)
    assert "a-only" not in other.get("/workspace/exhibitions").text
    # Nor can B take the slug over by creating it again.
    assert create(other, "a-only").status_code == 422
    assert ExhibitionStore(repo.services.store).load_versioned("a-only") == stored
    # B's items the public cannot see cannot be placed by A either.
    answer = save(curator, "a-only", s1_e1_item=repo.ids["b-review"])
    assert answer.status_code == 422 and 'id="problem-s1_e1_item"' in answer.text


def test_reordering_and_removing(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "order").status_code == 303
    first, late = repo.ids["public-published"], repo.ids["exhibit-late"]
    answer = save(
        curator,
        "order",
        s1_heading_en="One",
        s1_e1_item=first,
        s2_heading_en="Two",
        s2_e1_item=late,
    )
    assert answer.status_code == 303
    page = curator.get("/workspace/exhibitions/order")
    data = {**form_of(page.text), "s1_pos": "2", "s2_pos": "1"}
    data |= {"s2_e2_item": first}  # and a second entry in the section "Two"
    assert curator.post("/workspace/exhibitions/order", data=data).status_code == 200
    sections = stored(repo, "order")["sections"]
    assert [s["heading"]["en"] for s in sections] == ["Two", "One"]
    assert [e["item"] for e in sections[0]["entries"]] == [late, first]
    page = curator.get("/workspace/exhibitions/order")
    data = {**form_of(page.text), "s1_e1_pos": "5", "s2_remove": "1"}
    assert curator.post("/workspace/exhibitions/order", data=data).status_code == 200
    sections = stored(repo, "order")["sections"]
    assert [s["heading"]["en"] for s in sections] == ["Two"]
    assert [e["item"] for e in sections[0]["entries"]] == [first, late]


def test_the_search_offers_items_to_pick(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "search").status_code == 303
    page = curator.get("/workspace/exhibitions/search", params={"q": "Crane"})
    assert page.status_code == 200
    assert f'<option value="{repo.ids["public-published"]}">' in page.text
    assert repo.ids["b-restricted"] not in page.text


def test_markup_is_shown_as_text_and_control_characters_are_named(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "markup").status_code == 303
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    answer = save(
        curator,
        "markup",
        title_en=f"Title {hostile}",
        intro_en=f"Intro {hostile}",
        s1_heading_en=f"Heading {hostile}",
        s1_e1_item=repo.ids["public-published"],
        s1_e1_caption_en=f"Caption {hostile}",
    )
    assert answer.status_code == 303
    move(curator, "markup", "review")
    move(curator, "markup", "published")
    for url in ("/exhibitions/markup", "/exhibitions", "/workspace/exhibitions/markup"):
        client = curator if url.startswith("/workspace") else anonymous(app)
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    answer = save(curator, "markup", s1_heading_en="bell\x07")
    assert answer.status_code == 422 and 'id="problem-s1_heading_en"' in answer.text


def test_too_many_entries_are_named_not_a_500(repo: Repo, app: Any) -> None:
    curator = signed_in(app, "curator-a", lang="en")
    assert create(curator, "crowded").status_code == 303
    page = curator.get("/workspace/exhibitions/crowded")
    many = {f"s1_e{j}_item": repo.ids["public-published"] for j in range(1, 52)}
    answer = curator.post("/workspace/exhibitions/crowded", data={**form_of(page.text), **many})
    assert answer.status_code == 422
    assert 'id="problem-s1"' in answer.text
    assert message("en", "exhibitions.problem.too_many") in entities.unescape(answer.text)
