"""The map page in Chromium: the vendored Leaflet draws the shipped province outlines and the
places as clustered markers, nothing is asked of any other server, a category changes the
markers, a marker's pop-up links to the catalogue filtered by its place."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.browser.corpus import LiveServer

SUM_OF_MARKERS = """() => [...document.querySelectorAll('.map-marker')]
    .reduce((sum, icon) => sum + Number(icon.textContent), 0)"""


def _placed(page: Page, query: str) -> int:
    response = page.request.get(f"/api/map?{query}")
    assert response.ok
    placed = response.json()["placed"]
    assert isinstance(placed, int)
    return placed


def test_the_map_shows_places_and_filters_by_category(
    page: Page, server: LiveServer, shoot: Shoot
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    everything, music = _placed(page, ""), _placed(page, "category=traditional-music")
    assert 0 < music < everything

    page.goto("/map")
    page.wait_for_function(f"document.getElementById('map').dataset.placed === '{everything}'")
    expect(page.locator(".map-marker").first).to_be_visible()
    assert page.locator(".leaflet-overlay-pane path").count() >= 30  # the province outlines
    expect(page.locator(".map-label", has_text="陕西")).to_have_count(1)
    assert page.evaluate(SUM_OF_MARKERS) == everything  # clusters add up their places
    shoot(page, "map")

    page.select_option("#map-category", "traditional-music")
    page.wait_for_function(f"document.getElementById('map').dataset.placed === '{music}'")
    page.wait_for_function(f"({SUM_OF_MARKERS})() === {music}")
    assert "category=traditional-music" in page.url
    expect(page.locator("#map-search-link")).to_have_attribute(
        "href", "/?category=traditional-music"
    )
    shoot(page, "map-music")

    page.locator(".map-marker[title]").first.click()  # a single place, not a cluster
    popup = page.locator(".map-popup")
    expect(popup).to_be_visible()
    more = popup.locator(".map-popup__more")
    href = more.get_attribute("href") or ""
    assert href.startswith("/?category=traditional-music&place=")
    more.click()
    page.wait_for_url("**/?category=traditional-music&place=*")
    expect(page.locator("li.card").first).to_be_visible()
    expect(page.locator("#map-link")).to_have_attribute("href", href.replace("/?", "/map?"))

    assert requested and all(url.startswith(server.url) for url in requested), [
        url for url in requested if not url.startswith(server.url)
    ]
    assert any("/static/vendor/leaflet/leaflet.js" in url for url in requested)
