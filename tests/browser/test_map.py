"""The map page in Chromium: the vendored Leaflet draws the shipped province outlines and the
places as clustered markers, nothing is asked of any other server, a category changes the
markers, a marker's pop-up links to the catalogue filtered by its place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, Shoot
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


POPUP_INSIDE = """() => {  // inside the screen, and 10 px or more inside the map's sides
  const box = document.querySelector('.leaflet-popup').getBoundingClientRect();
  const map = document.getElementById('map').getBoundingClientRect();
  return box.top >= 0 && box.bottom <= innerHeight
    && box.left >= Math.max(0, map.left + 10) && box.right <= Math.min(innerWidth, map.right - 10);
}"""


@pytest.mark.parametrize(
    ("edge", "width"), [("left", 390), ("right", 390), ("top", 390), ("right", 320)]
)
def test_a_pop_up_opened_near_an_edge_of_a_phone_is_fully_visible(
    browser: Browser, server: LiveServer, edge: str, width: int
) -> None:
    """The marker is dragged 20 px inside the map's left or right edge, or the page scrolled
    until it is 30 px below the top of the screen (the map's top out of sight), then tapped."""
    phone = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": width, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    page.goto("/map")
    page.wait_for_function("document.getElementById('map').dataset.placed > '0'")
    page.locator("#map").scroll_into_view_if_needed()
    marker = page.locator(".map-marker[title]").first  # a single place, not a cluster
    expect(marker).to_be_visible()
    area, spot = page.locator("#map").bounding_box(), marker.bounding_box()
    assert area and spot
    x, y = spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2
    middle = area["y"] + area["height"] / 2
    to = {"left": area["x"] + 20, "right": area["x"] + area["width"] - 20, "top": x}[edge]
    grab = (area["x"] + area["width"] / 2, middle)
    page.mouse.move(*grab)
    page.mouse.down()
    page.mouse.move(grab[0] + to - x, grab[1] + middle - y, steps=10)
    page.wait_for_timeout(100)  # held still before letting go: no inertia after the drag
    page.mouse.up()
    if edge == "top":
        page.evaluate(f"window.scrollBy(0, {middle - 30})")
    spot = marker.bounding_box()
    assert spot
    page.mouse.click(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)
    expect(page.locator(".leaflet-popup .map-popup")).to_be_visible()
    page.wait_for_function(POPUP_INSIDE, timeout=5_000)  # once Leaflet's pan has ended
    page.screenshot(path=str(SCREENSHOTS / f"map-phone-popup-{edge}-{width}.png"))
    phone.close()
