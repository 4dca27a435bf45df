"""The web questionnaire in chromium: fill, place on the map, send, reload, lose the answer,
meet a 422, and stay accessible; nothing leaves 127.0.0.1."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.census.models import Response, Revision
from app.census.tokens import create_token
from tests.utils.auth import bearer
from tests.utils.browser import axe_violations, describe, open_session, wait_ready
from tests.utils.documents import absent, open_survey
from tests.web.conftest import AXE, SURVEY, screenshot_path

pytestmark = pytest.mark.database("own")

SAN_SEVERO = "071051"


def open_questionnaire(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/questionnaire/{SURVEY}#token={token}")
    wait_ready(page)


def field(page: Page, path: str):
    """The input filling a JSON path: found by its name, as the contract writes the path."""
    return page.locator(f'[name="{path}"]')


def choose(page: Page, path: str, value: str) -> None:
    """Check the radio or checkbox of a path with this value."""
    page.locator(f'[name="{path}"][value="{value}"]').check()


def check_months(page: Page, path: str, months: list[int]) -> None:
    for m in months:
        choose(page, path, str(m))


def stored(base: str, token: str, comune: str) -> httpx.Response:
    return httpx.get(
        f"{base}/api/v1/surveys/{SURVEY}/responses/{comune}", headers=bearer(token), timeout=10
    )


def fill_respondent(page: Page) -> None:
    field(page, "respondent.name").fill("Maria Rossi")
    field(page, "respondent.office").fill("Servizi sociali")
    field(page, "respondent.email").fill("m.rossi@example.it")
    field(page, "respondent.phone").fill("+39 0882 000000")


def send_after_checking(page: Page) -> None:
    page.get_by_role("button", name="Controlla le risposte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controlla le risposte")
    page.get_by_role("button", name="Invia la risposta").click()


def test_a_complete_response_is_stored_exactly_as_typed(web_url, browser, respondent):
    token = respondent(SAN_SEVERO)
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    # The secret left the address bar at once, and stays in this tab only.
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('incas.token')") == f'"{token}"'
    expect(page.get_by_role("heading", level=1)).to_contain_text("San Severo")
    page.screenshot(path=screenshot_path("questionnaire-empty"), full_page=True)
    assert not (violations := axe_violations(page, AXE)), describe(violations)

    fill_respondent(page)
    choose(page, "workers_present", "true")
    field(page, "workers.stable").fill("800")
    field(page, "workers.seasonal").fill("2.500")  # grouped the Italian way
    check_months(page, "workers.seasonal_months", [6, 7, 8, 9, 10])
    search = page.get_by_label("Cerca un paese")
    for name in ("Nigeria", "Senegal", "Mali", "Ghana", "Romania", "Bulgaria"):
        search.fill(name[:4])
        page.get_by_role("checkbox", name=name, exact=True).check()
    field(page, "workers.women_share").fill("15")
    field(page, "private_housing_share").fill("55")

    page.locator('[data-add="formal_settlements"]').click()
    f = "formal_settlements[0]"
    field(page, f"{f}.name").fill("Foresteria comunale")
    field(page, f"{f}.type").select_option("public_dormitory")
    field(page, f"{f}.managed_by").select_option("public")
    field(page, f"{f}.capacity").fill("120")
    field(page, f"{f}.occupants").fill("96")
    choose(page, f"{f}.seasonal", "true")
    check_months(page, f"{f}.open_months", [6, 7, 8, 9, 10])
    # The keyboard way to a location: two inputs.
    field(page, f"{f}.location.coordinates[0]").fill("15.3806")
    field(page, f"{f}.location.coordinates[1]").fill("41.6867")
    for service, value in (("water", "true"), ("electricity", "true"), ("sanitation", "true"),
                           ("heating", "false"), ("transport", "true")):  # fmt: skip
        choose(page, f"{f}.services.{service}", value)

    page.locator('[data-add="informal_settlements"]').click()
    i = "informal_settlements[0]"
    field(page, f"{i}.name").fill("Borgo (area piste)")
    field(page, f"{i}.type").select_option("shacks")
    field(page, f"{i}.persons_min").fill("500")
    field(page, f"{i}.persons_max").fill("1500")
    check_months(page, f"{i}.peak_months", [7, 8, 9])
    field(page, f"{i}.since_year").fill("2005")
    # The pointer way: a click on the map places the point, and the two inputs follow it.
    page.locator(f'fieldset[data-path="{i}.location"]').get_by_role(
        "button", name="Scegli sulla mappa"
    ).click()
    page.wait_for_selector(".location-map[data-ready]", timeout=30_000)
    page.locator(".location-map canvas").click()
    expect(field(page, f"{i}.location.coordinates[0]")).not_to_have_value("")
    lon = float(field(page, f"{i}.location.coordinates[0]").input_value())
    lat = float(field(page, f"{i}.location.coordinates[1]").input_value())
    assert 15.2 < lon < 15.6 and 41.5 < lat < 41.8, (lon, lat)  # in San Severo
    for service in ("water", "electricity", "toilets", "waste_collection"):
        choose(page, f"{i}.services.{service}", "false")
    field(page, f"{i}.distance_to_work_km").fill("6,5")  # a decimal comma
    choose(page, f"{i}.public_transport", "false")

    page.locator('[data-add="interventions"]').click()
    field(page, "interventions[0].type").fill("housing_transition")
    field(page, "interventions[0].description").fill("Progetto di superamento")
    field(page, "notes").fill("Stima basata su dati della polizia locale")
    page.screenshot(path=screenshot_path("questionnaire-filled"), full_page=True)
    assert not (violations := axe_violations(page, AXE)), describe(violations)

    page.get_by_role("button", name="Controlla le risposte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controlla le risposte")
    page.screenshot(path=screenshot_path("questionnaire-review"), full_page=True)
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.locator("#receipt")).to_contain_text("Revisione 1")
    page.screenshot(path=screenshot_path("questionnaire-receipt"), full_page=True)

    answer = stored(web_url, token, SAN_SEVERO)
    assert answer.status_code == 200
    document = answer.json()["document"]
    assert document == {
        "submission_id": document["submission_id"],
        "comune_code": SAN_SEVERO,
        "respondent": {
            "name": "Maria Rossi",
            "office": "Servizi sociali",
            "email": "m.rossi@example.it",
            "phone": "+39 0882 000000",
        },
        "workers_present": True,
        "workers": {
            "stable": 800,
            "seasonal": 2500,
            "seasonal_months": [6, 7, 8, 9, 10],
            "nationalities": ["NG", "SN", "ML", "GH", "RO", "BG"],
            "women_share": 0.15,
        },
        "private_housing_share": 0.55,
        "formal_settlements": [
            {
                "name": "Foresteria comunale",
                "type": "public_dormitory",
                "managed_by": "public",
                "capacity": 120,
                "occupants": 96,
                "seasonal": True,
                "open_months": [6, 7, 8, 9, 10],
                "location": {"type": "Point", "coordinates": [15.3806, 41.6867]},
                "services": {
                    "water": True,
                    "electricity": True,
                    "sanitation": True,
                    "heating": False,
                    "transport": True,
                },
            }
        ],
        "informal_settlements": [
            {
                "name": "Borgo (area piste)",
                "type": "shacks",
                "persons_min": 500,
                "persons_max": 1500,
                "peak_months": [7, 8, 9],
                "since_year": 2005,
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "services": {
                    "water": False,
                    "electricity": False,
                    "toilets": False,
                    "waste_collection": False,
                },
                "distance_to_work_km": 6.5,
                "public_transport": False,
            }
        ],
        "interventions": [{"type": "housing_transition", "description": "Progetto di superamento"}],
        "notes": "Stima basata su dati della polizia locale",
    }
    # The page shows the stored response; the sent draft is gone from the browser.
    expect(page.get_by_text("Foresteria comunale")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('incas.draft.{SURVEY}.{SAN_SEVERO}')") is None
    assert not (violations := axe_violations(page, AXE)), describe(violations)
    assert not s.errors
    # Pages, assets, API, tiles and MapLibre's worker: every request stayed on this machine.
    assert any("/tiles/comuni_2021/" in u for u in s.requests.urls)
    assert any("maplibre-gl-worker" in u for u in s.requests.urls)
    assert s.requests.outside() == []
    s.close()


def test_a_reload_halfway_brings_the_draft_back(web_url, browser, respondent):
    token = respondent("071004")
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    field(page, "respondent.name").fill("Giulia Bianchi")
    choose(page, "workers_present", "true")
    field(page, "workers.stable").fill("40")
    check_months(page, "workers.seasonal_months", [5, 6])
    page.get_by_label("Cerca un paese").fill("mar")
    page.get_by_role("checkbox", name="Marocco").check()
    page.locator('[data-add="informal_settlements"]').click()
    field(page, "informal_settlements[0].name").fill("Casolare Nord")
    field(page, "informal_settlements[0].type").select_option("occupied_farmhouse")

    page.reload()
    wait_ready(page)

    expect(field(page, "respondent.name")).to_have_value("Giulia Bianchi")
    expect(page.locator('[name="workers_present"][value="true"]')).to_be_checked()
    expect(field(page, "workers.stable")).to_have_value("40")
    for m in ("5", "6"):
        expect(page.locator(f'[name="workers.seasonal_months"][value="{m}"]')).to_be_checked()
    expect(page.locator('[name="workers.nationalities"][value="MA"]')).to_be_checked()
    expect(field(page, "informal_settlements[0].name")).to_have_value("Casolare Nord")
    expect(field(page, "informal_settlements[0].type")).to_have_value("occupied_farmhouse")
    # Nothing was sent meanwhile.
    assert stored(web_url, token, "071004").status_code == 404
    s.close()


def test_an_answer_lost_on_the_way_back_is_resent_and_stored_once(
    web_url, browser, respondent, web_engine
):
    comune = "071005"
    token = respondent(comune)
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    field(page, "respondent.name").fill("Ufficio anagrafe")
    field(page, "respondent.email").fill("anagrafe@example.it")
    choose(page, "workers_present", "true")
    field(page, "workers.stable").fill("30")
    page.locator('[data-add="informal_settlements"]').click()
    # "No" hides the rest, and what was typed there is not sent.
    choose(page, "workers_present", "false")
    expect(field(page, "workers.stable")).to_be_hidden()

    lost: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            answer = route.fetch()  # the server receives and stores it...
            lost.append(answer.status)
            route.abort("connectionreset")  # ...but the page never hears back
        else:
            route.continue_()

    seen: list[int] = []
    page.on(
        "response",
        lambda r: (
            seen.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/responses")
            else None
        ),
    )
    page.route(re.compile(r".*/api/v1/surveys/[^/]+/responses$"), lose_first_answer)
    page.evaluate(
        """() => { window.__statuses = [];
        new MutationObserver(() => { const el = document.getElementById('send-status');
          if (el) window.__statuses.push(el.textContent); })
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    send_after_checking(page)

    expect(page.locator("#receipt")).to_contain_text("Revisione 1", timeout=20_000)
    assert lost == [201]  # stored the first time
    assert seen == [200]  # the retry: the stored response, nothing created
    statuses = page.evaluate("window.__statuses")
    assert any("senza connessione" in text for text in statuses), statuses
    with Session(web_engine) as session:
        responses = session.scalar(
            select(func.count()).select_from(Response).where(Response.comune_code == comune)
        )
        revisions = session.scalar(
            select(func.count())
            .select_from(Revision)
            .join(Response, Revision.response_id == Response.id)
            .where(Response.comune_code == comune)
        )
    assert (responses, revisions) == (1, 1)
    document = stored(web_url, token, comune).json()["document"]
    assert document == {
        "submission_id": document["submission_id"],
        "comune_code": comune,
        "respondent": {"name": "Ufficio anagrafe", "email": "anagrafe@example.it"},
        "workers_present": False,
    }
    s.close()


def test_a_problem_found_by_the_server_is_shown_next_to_its_field(web_url, browser, respondent):
    comune = "071006"
    token = respondent(comune)
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    fill_respondent(page)
    choose(page, "workers_present", "true")
    page.locator('[data-add="informal_settlements"]').click()
    field(page, "informal_settlements[0].type").select_option("tents")
    # The schema cannot say "max ≥ min": only the server knows, and answers 422.
    field(page, "informal_settlements[0].persons_min").fill("50")
    field(page, "informal_settlements[0].persons_max").fill("10")
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.request.method == "POST" else None)

    send_after_checking(page)

    persons_max = field(page, "informal_settlements[0].persons_max")
    expect(persons_max).to_have_attribute("aria-invalid", "true")
    message_id = persons_max.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{message_id}")).to_contain_text("persons_min (50)")
    summary = page.get_by_role("alert").filter(has_text="Ci sono problemi da correggere")
    link = summary.get_by_role("link", name=re.compile("Persone presenti, al massimo"))
    link.click()
    expect(persons_max).to_be_focused()
    page.screenshot(path=screenshot_path("questionnaire-server-422"), full_page=True)
    assert answers == [422]
    assert stored(web_url, token, comune).status_code == 404
    assert not (violations := axe_violations(page, AXE)), describe(violations)
    s.close()


def test_the_page_checks_the_schema_before_sending(web_url, browser, respondent):
    comune = "071007"
    token = respondent(comune)
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    field(page, "respondent.email").fill("not an address")
    choose(page, "workers_present", "true")
    field(page, "workers.stable").fill("12,5")
    field(page, "workers.women_share").fill("150")
    page.locator('[data-add="formal_settlements"]').click()
    f = "formal_settlements[0]"
    field(page, f"{f}.type").select_option("cas")
    # Near Foggia, some 15 km from Bovino: flagged before it is sent.
    field(page, f"{f}.location.coordinates[0]").fill("15.55")
    field(page, f"{f}.location.coordinates[1]").fill("41.45")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method in ("POST", "PUT") else None)

    page.get_by_role("button", name="Controlla le risposte").click()

    summary = page.get_by_role("alert").filter(has_text="Ci sono problemi da correggere")
    expect(summary).to_be_focused()
    for path in ("respondent.name", "respondent.email", "workers.stable", "workers.women_share"):
        expect(field(page, path)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f'fieldset[data-path="{f}.location"]')).to_contain_text("km fuori")
    expect(summary).to_contain_text("scrivi un numero intero")
    assert posts == []
    s.close()


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_screen_is_labelled_in_both_languages(web_url, browser, respondent, language):
    token = respondent("071003", "071002")
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    if language == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    # A token for two comuni asks which one first.
    heading = {"it": "Per quale comune rispondi?", "en": "Which comune are you answering for?"}
    expect(page.get_by_role("heading", level=1)).to_have_text(heading[language])
    page.get_by_role("radio", name=re.compile("Alberona")).check()
    page.get_by_role("button", name={"it": "Continua", "en": "Continue"}[language]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alberona")
    choose(page, "workers_present", "true")
    for button in page.locator("[data-add]").all():
        button.click()
    assert not (violations := axe_violations(page, AXE)), describe(violations)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
             .filter(el => el.type !== 'hidden' && !el.labels?.length
                           && !el.getAttribute('aria-label'))
             .map(el => el.name || el.id)"""
    )
    assert unlabelled == []
    s.close()


def test_a_correction_that_meets_someone_else_s_shows_both_and_lets_the_user_choose(
    web_url, browser, respondent
):
    comune = "071008"
    token = respondent(comune)
    base = f"{web_url}/api/v1/surveys/{SURVEY}/responses"
    first = absent(comune) | {"notes": "Prima versione"}
    assert httpx.post(base, json=first, headers=bearer(token)).status_code == 201
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("La risposta del comune")
    page.get_by_role("button", name="Correggi la risposta").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Correzione")
    field(page, "notes").fill("La mia correzione")
    # Meanwhile a colleague corrects the same response.
    current = httpx.get(f"{base}/{comune}", headers=bearer(token))
    theirs = first | {"submission_id": str(uuid.uuid4()), "notes": "La correzione di un collega"}
    put = httpx.put(f"{base}/{comune}", json=theirs,
                    headers={**bearer(token), "If-Match": current.headers["ETag"]})  # fmt: skip
    assert put.status_code == 200

    page.get_by_role("button", name="Controlla le risposte").click()
    page.get_by_role("button", name="Invia la correzione").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "La risposta è stata modificata da qualcun altro"
    )
    registered = page.get_by_role("region", name="La versione registrata")
    mine = page.get_by_role("region", name="La tua versione")
    expect(registered).to_contain_text("La correzione di un collega")
    expect(mine).to_contain_text("La mia correzione")
    expect(mine.locator(".changed")).to_contain_text("La mia correzione")
    page.screenshot(path=screenshot_path("questionnaire-conflict"), full_page=True)
    assert not (violations := axe_violations(page, AXE)), describe(violations)

    page.get_by_role("button", name="Invia la mia versione").click()

    expect(page.locator("#receipt")).to_contain_text("Revisione 3")
    answer = stored(web_url, token, comune).json()
    assert (answer["revision"], answer["document"]["notes"]) == (3, "La mia correzione")
    s.close()


def test_a_closed_wave_says_so_and_offers_no_form(web_url, browser, web_engine):
    now = datetime.now(UTC)
    with Session(web_engine) as session, session.begin():
        window = {"opens_at": now - timedelta(days=60), "closes_at": now - timedelta(days=1)}
        wave = open_survey(session, code="web-closed", vintage=2021, **window)
        _, token = create_token(session, "respondent", ["071009"], "closed", survey=wave)
    s = open_session(browser)
    page = s.page
    page.goto(f"{web_url}/questionnaire/web-closed#token={token}")
    wait_ready(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("La rilevazione è chiusa")
    expect(page.locator("#closed")).to_contain_text("non si possono inviare né correggere")
    assert page.locator("input, select, textarea").count() == 0
    s.close()


def test_a_send_queued_while_offline_goes_out_when_the_page_comes_back(
    web_url, browser, respondent
):
    comune = "071010"
    token = respondent(comune)
    s = open_session(browser)
    page = s.page
    open_questionnaire(page, web_url, token)
    field(page, "respondent.name").fill("Ufficio tecnico")
    field(page, "respondent.email").fill("tecnico@example.it")
    choose(page, "workers_present", "false")
    offline = re.compile(r".*/api/v1/surveys/[^/]+/responses$")
    page.route(offline, lambda route: route.abort("internetdisconnected"))

    send_after_checking(page)
    expect(page.locator("#send-status")).to_contain_text("senza connessione")
    assert stored(web_url, token, comune).status_code == 404
    # The office closes the tab, or the browser; the queued answer waits in localStorage.
    page.unroute(offline)
    page.reload()

    expect(page.locator("#receipt")).to_contain_text("Revisione 1", timeout=20_000)
    assert stored(web_url, token, comune).json()["document"]["respondent"]["name"] == (
        "Ufficio tecnico"
    )
    s.close()


def test_a_pasted_token_opens_the_form_and_a_wrong_one_is_explained(web_url, browser, respondent):
    token = respondent("071011")
    s = open_session(browser)
    page = s.page
    page.goto(f"{web_url}/questionnaire/{SURVEY}")
    wait_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accedi al questionario")

    page.get_by_label("Codice di accesso").fill("incas_not-a-real-token")
    page.get_by_role("button", name="Continua").click()
    expect(page.get_by_role("alert")).to_contain_text("non è valido")

    page.get_by_label("Codice di accesso").fill(token)
    page.get_by_role("button", name="Continua").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Carlantino")
    assert token not in page.url
    s.close()
