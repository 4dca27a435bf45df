"""The atlas (/map) and the offline API documentation in chromium: what the public sees, what an
analyst adds, and that nothing leaves 127.0.0.1.

The module runs on a copy of the committed synthetic national wave (4,000 responses), with a
run of case areas published."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.census.surveys import get_survey
from app.geo.case_areas import runs
from app.geo.case_areas.params import Parameters
from tests.utils.auth import ADMIN, token
from tests.utils.browser import Session as BrowserSession
from tests.utils.browser import axe_violations, describe, open_session
from tests.web.conftest import AXE, screenshot_path

pytestmark = [pytest.mark.database("national"), pytest.mark.usefixtures("published")]

WAVE = "national"
INDICATOR = "informal_persons_mid"
# What only analysts may ever ask for; an anonymous page must not even request it.
RESTRICTED = ("informal_settlements", "formal_settlements", "settlement_clusters", "hotspots",
              "/case-areas?", "/case-areas/1")  # fmt: skip


@pytest.fixture(scope="module")
def published(web_engine: Engine) -> int:
    """Publish a run of ten case areas of the national wave (few permutations: quick)."""
    with Session(web_engine) as session, session.begin():
        survey = get_survey(session, WAVE)
        run = runs.run_selection(session, survey, Parameters(permutations=99), ADMIN)
        runs.publish(session, survey, run.id, ADMIN)
        return run.id


@pytest.fixture(scope="module")
def analyst(web_engine: Engine) -> str:
    with Session(web_engine) as session, session.begin():
        return token(session, "analyst", label="atlas analyst")


def console_errors(s: BrowserSession) -> list[str]:
    return s.errors


def open_atlas(browser, base: str, query: str = "") -> BrowserSession:
    s = open_session(browser, viewport=(1400, 1000))
    s.page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
    s.page.goto(f"{base}/map?wave={WAVE}{query}")
    s.page.wait_for_selector("html[data-ready]", timeout=60_000)
    wait_drawn(s.page)
    return s


def wait_drawn(page: Page, previous: str | None = None) -> str:
    """Wait until the map has drawn the page's current state (after `previous`, if given)."""
    page.wait_for_function(
        "(prev) => { const d = document.getElementById('map-host')?.dataset.drawn;"
        " return d && d !== prev; }",
        arg=previous,
        timeout=90_000,
    )
    return page.locator("#map-host").get_attribute("data-drawn")


def rendered(page: Page, layers: list[str], code: str | None = None) -> list[dict]:
    """The features MapLibre drew in these layers (optionally one unit), with their paint."""
    return page.evaluate(
        """([layers, code]) => {
            const map = window.incasAtlas.map;
            const present = layers.filter((id) => map.getLayer(id));
            const options = { layers: present };
            if (code) options.filter = ["==", ["get", "code"], code];
            return map.queryRenderedFeatures(options).map((f) => ({
                layer: f.layer.id, code: f.properties.code, properties: f.properties,
                paint: f.layer.paint }));
        }""",
        [layers, code],
    )


def fly_to(page: Page, bounds: list[list[float]]) -> None:
    """Show these bounds, and wait until every tile they need is drawn."""
    page.evaluate(
        "(b) => window.incasAtlas.map.fitBounds(b, { animate: false, padding: 40 })", bounds
    )
    page.wait_for_function(
        "() => { const m = window.incasAtlas.map; return m.loaded() && m.areTilesLoaded(); }",
        timeout=60_000,
    )
    page.wait_for_timeout(300)  # one more frame drawn with the tiles in place


def comune_bounds(base: str, code: str) -> list[list[float]]:
    feature = httpx.get(f"{base}/api/v1/comuni/{code}?geometry=true&vintage=2021").json()
    coords = feature["geometry"]["coordinates"]
    flat = [p for polygon in coords for ring in polygon for p in ring]
    xs, ys = [p[0] for p in flat], [p[1] for p in flat]
    return [[min(xs), min(ys)], [max(xs), max(ys)]]


def public_rows(base: str, level: str) -> list[dict]:
    url = f"{base}/api/v1/surveys/{WAVE}/indicators?level={level}&limit=10000"
    return httpx.get(url, timeout=60).json()["items"]


def test_root_leads_to_the_atlas(web_url):
    r = httpx.get(f"{web_url}/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/map"
    page = httpx.get(f"{web_url}/map")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_public_atlas_draws_comuni_offline_and_is_accessible(web_url, browser, published):
    s = open_atlas(browser, web_url, "&level=comune")
    page = s.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Atlante INCAS")
    drawn = rendered(page, ["units-fill", "units-withheld", "units-no-answer"])
    codes = {f["code"] for f in drawn}
    assert len(codes) > 5000, len(codes)  # the comuni of Italy, coloured, hatched or dotted
    assert all(len(code) == 6 for code in codes)
    page.screenshot(path=screenshot_path("atlas-public"), full_page=True)
    # The published case areas, listed beside the map (the keyboard's way to their popups).
    areas = page.locator("#case-list li")
    expect(areas).to_have_count(10)
    areas.first.get_by_role("button").click()
    popup = page.locator(".maplibregl-popup-content")
    expect(popup).to_contain_text("1. ")
    expect(popup.locator("li").first).to_be_visible()
    page.wait_for_function("() => window.incasAtlas.map.areTilesLoaded()")
    page.screenshot(path=screenshot_path("atlas-public-case-area"))

    assert not console_errors(s), console_errors(s)
    assert not s.requests.outside(), s.requests.outside()
    assert not [u for u in s.requests.urls if any(r in u for r in RESTRICTED)]
    assert page.evaluate("() => !window.incasAtlas.map.getSource('informal')")
    assert not (violations := axe_violations(page, AXE)), describe(violations)
    s.close()


def test_the_legend_is_the_servers_classes_of_the_chosen_indicator(web_url, browser):
    s = open_atlas(browser, web_url)
    page = s.page
    before = page.locator("#map-host").get_attribute("data-drawn")
    # As a person would: by the controls' labels.
    page.get_by_label("Indicatore", exact=True).select_option(label="Lavoratori stagionali")
    before = wait_drawn(page, before)
    page.get_by_label("Classi", exact=True).select_option(label="Interruzioni naturali")
    before = wait_drawn(page, before)
    page.get_by_label("Numero di classi").select_option("4")
    wait_drawn(page, before)

    classes = httpx.get(
        f"{web_url}/api/v1/surveys/{WAVE}/indicators/classes",
        params={"level": "region", "indicator": "workers_seasonal", "method": "natural_breaks",
                "k": 4},
    ).json()  # fmt: skip
    legend = page.locator("#legend")
    expect(legend.locator("#legend-caption")).to_have_text("Lavoratori stagionali")
    uppers = [float(x) for x in legend.locator("li[data-upper]").evaluate_all(
        "(items) => items.map((li) => li.dataset.upper)")]  # fmt: skip
    assert uppers == pytest.approx(classes["breaks"]) and len(uppers) == 4
    colors = legend.locator("li[data-upper]").evaluate_all(
        "(items) => items.map((li) => li.dataset.color)"
    )
    # Every region drawn has the colour of the class its value falls in, as the legend says.
    rows = {r["code"]: r for r in public_rows(web_url, "region")}
    features = rendered(page, ["units-fill"])
    assert {f["code"] for f in features} >= {c for c, r in rows.items() if r["workers_seasonal"]}
    for f in features:
        value = rows[f["code"]]["workers_seasonal"]
        color = f["paint"]["fill-color"]
        hex_ = "#" + "".join(f"{round(color[c] * 255):02x}" for c in "rgb")
        if value == 0:
            assert hex_ == "#dde3ea"
            continue
        index = next(i for i, upper in enumerate(classes["breaks"]) if value <= upper + 1e-9)
        assert hex_ == colors[index], (f["code"], value)
    # The table beside the map holds the same figures.
    table = page.locator("#regions-table")
    expect(table.locator("thead")).to_contain_text("Lavoratori stagionali")
    expect(table.locator("tbody tr")).to_have_count(20)
    assert not console_errors(s), console_errors(s)
    s.close()


def test_a_withheld_comune_is_drawn_as_withheld_not_as_zero_or_silence(web_url, browser):
    rows = public_rows(web_url, "comune")
    withheld = next(r for r in rows if INDICATOR in r["suppressed_fields"])
    zero = next(r for r in rows if r[INDICATOR] == 0 and r["responded"] == 1)
    silent = next(r for r in rows if r["responded"] == 0)
    s = open_atlas(browser, web_url, "&level=comune")
    page = s.page
    for row, layer, pattern in ((withheld, "units-withheld", "withheld"),
                                (zero, "units-fill", None),
                                (silent, "units-no-answer", "no-answer")):  # fmt: skip
        fly_to(page, comune_bounds(web_url, row["code"]))
        found = rendered(page, ["units-fill", "units-withheld", "units-no-answer"], row["code"])
        assert found, row["code"]
        assert {f["layer"] for f in found} == {layer}, (row["code"], found[0]["layer"])
        if pattern:
            assert found[0]["paint"]["fill-pattern"]["to"] == pattern
        else:
            assert found[0]["paint"]["fill-color"]["r"] > 0.8  # the pale zero, not a class
    # The property that drives the hatching: the public tiles carry no value for that cell.
    hatched = rendered(page, ["units-withheld"])
    assert all(f["properties"].get(INDICATOR) is None for f in hatched)
    assert not console_errors(s), console_errors(s)
    s.close()


def test_coverage_is_a_layer_of_its_own(web_url, browser):
    s = open_atlas(browser, web_url, "&level=province")
    page = s.page
    before = page.locator("#map-host").get_attribute("data-drawn")
    page.get_by_label("Mappa", exact=True).select_option(label="Copertura delle risposte")
    wait_drawn(page, before)
    progress = httpx.get(f"{web_url}/api/v1/surveys/{WAVE}/progress?level=province").json()
    shares = {r["code"]: r["coverage_population"] for r in progress["items"]}
    features = page.evaluate(
        "() => window.incasAtlas.map.queryRenderedFeatures({ layers: ['units-coverage'] })"
        ".map((f) => [f.properties.code, f.state.coverage])"
    )
    assert features
    for code, share in features:
        assert share == pytest.approx(shares[code])
    expect(page.locator("#legend-caption")).to_contain_text("Quota dei residenti")
    # Hovering a unit names it and gives its figures.
    box = page.locator("#map canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
    hover = page.locator("#hover")
    expect(hover.locator("strong")).not_to_be_empty()
    expect(hover).to_contain_text("Residenti coperti")
    expect(hover).to_contain_text("Comuni che hanno risposto")
    s.close()


def test_anonymous_gets_no_settlements_and_an_analyst_does(web_url, browser, analyst, published):
    s = open_atlas(browser, web_url)
    page = s.page
    assert not [u for u in s.requests.urls if any(r in u for r in RESTRICTED)]
    assert page.evaluate(
        "() => window.incasAtlas.map.getStyle().layers.every((l) => !['informal', 'formal']"
        ".includes(l.source))"
    )
    before = page.locator("#map-host").get_attribute("data-drawn")
    page.get_by_label("Codice di accesso da analista").fill(analyst)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_label("Insediamenti informali (dimensione: persone)")).to_be_checked()
    wait_drawn(page, before)
    page.wait_for_function(
        "() => window.incasAtlas.map.queryRenderedFeatures({ layers: ['informal'] }).length > 0",
        timeout=60_000,
    )
    points = rendered(page, ["informal"])
    assert all("persons_mid" in f["properties"] for f in points)
    assert page.evaluate("sessionStorage.getItem('incas.token')") == f'"{analyst}"'
    page.screenshot(path=screenshot_path("atlas-analyst"), full_page=True)
    assert [u for u in s.requests.urls if "informal_settlements" in u]
    # Any run of the wave, with the analysts' reasons.
    before = page.locator("#map-host").get_attribute("data-drawn")
    page.get_by_label("Selezione di aree caso").select_option(str(published))
    wait_drawn(page, before)
    assert [u for u in s.requests.urls if f"/case-areas/{published}?geometry=true" in u]
    expect(page.locator("#case-list li")).to_have_count(10)
    assert not console_errors(s), console_errors(s)
    assert not s.requests.outside(), s.requests.outside()
    assert not (violations := axe_violations(page, AXE)), describe(violations)

    # Another tab of an anonymous visitor: still nothing restricted.
    other = open_atlas(browser, web_url)
    assert not [u for u in other.requests.urls if any(r in u for r in RESTRICTED)]
    other.close()
    s.close()


def saved_download(page: Page, name: str) -> bytes:
    """Click a download link of the page and return the bytes the browser saved."""
    with page.expect_download(timeout=60_000) as info:
        page.locator("#downloads").get_by_role("link", name=name).click()
    path = info.value.path()
    assert path is not None, info.value.failure()
    with open(path, "rb") as f:
        return f.read()


def test_an_analysts_downloads_hold_the_analysts_figures(web_url, browser, analyst):
    url = f"{web_url}/surveys/{WAVE}/exports/indicators_province.csv"
    public = httpx.get(url, timeout=60).content
    full = httpx.get(url, headers={"Authorization": f"Bearer {analyst}"}, timeout=60).content
    assert public != full  # the province level withholds small counts from the public

    s = open_atlas(browser, web_url, "&level=province")
    page = s.page
    assert saved_download(page, "CSV") == public
    page.get_by_label("Codice di accesso da analista").fill(analyst)
    page.get_by_role("button", name="Accedi").click()
    expect(page.locator("#downloads-host")).to_contain_text("Dati completi")
    assert saved_download(page, "CSV") == full
    assert not console_errors(s), console_errors(s)
    s.close()


def test_english_is_one_click_away_and_the_controls_take_the_keyboard(web_url, browser):
    s = open_atlas(browser, web_url)
    page = s.page
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("INCAS atlas")
    expect(page.locator("#licence")).to_contain_text("CC BY 4.0")
    # Tab from the top reaches every control of the side panel, in order.
    page.locator("body").focus()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
    for control in ("wave", "show", "level", "indicator", "method", "k", "case-areas", "token"):
        assert control in reached, (control, reached)
    s.close()


@pytest.mark.parametrize(
    ("path", "operation"), [("/docs", ".opblock"), ("/redoc", "[data-section-id^='tag/']")]
)
def test_the_api_documentation_renders_offline(web_url, browser, path, operation):
    s = open_session(browser)
    s.page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
    s.page.goto(f"{web_url}{path}")
    s.page.wait_for_selector("html[data-ready]", timeout=60_000)
    assert s.page.locator(operation).count() > 10
    s.page.screenshot(path=screenshot_path(f"api{path.replace('/', '-')}"))
    assert not s.errors, s.errors
    assert not s.requests.outside(), s.requests.outside()
    s.close()
