"""The slider and timeline pages in a real browser: headless Chromium driven by Selenium, offline.

Skips (with the reason) when Chromium, chromedriver or selenium are missing. CI installs them:
`apt-get install -y chromium chromium-driver` and `pip install -e '.[test,browser]'`.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from chrono.store import Log
from projections.pictures import render_slider_html, render_timeline_html

from . import sudan
from .test_pictures import GOVERNMENT, HTS, at, log, log_path  # noqa: F401  (fixtures)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[browser]')")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
)


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chrono-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1500,1300"):
        options.add_argument(flag)
    # An explicit driver: Selenium Manager must never try to download one.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def move_slider_to(driver, when: str) -> None:
    index = driver.execute_script("return window.chronoStepAt(arguments[0])", when)
    slider = driver.find_element("id", "slider")
    # Move the real control and fire the event a person's drag fires.
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", slider, index)


def marker_after_moving_the_slider_to(driver, when: str, place: str) -> tuple[str, str, str]:
    move_slider_to(driver, when)
    marker = driver.find_element("css selector", f"#place-{place} .marker")
    return marker.get_attribute("data-controller"), marker.get_attribute("data-status"), marker.get_attribute("fill")


def aleppo_after_moving_the_slider_to(driver, when: str) -> tuple[str, str, str]:
    return marker_after_moving_the_slider_to(driver, when, "aleppo")


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.fixture
def sudan_db(tmp_path) -> str:
    path = str(tmp_path / "sudan.db")
    sudan.make_log(path).close()
    return path


def test_slider_page_of_a_sudan_log_draws_sudan_and_redraws_wad_madani(browser, sudan_db, tmp_path):
    from click.testing import CliRunner

    from cli import main

    page = tmp_path / "sudan.html"
    result = CliRunner().invoke(main, ["--db", sudan_db, "map", "--from", "2023-12-10", "--to", "2023-12-22", "--out", str(page)])
    assert 0 == result.exit_code, result.output
    browser.get(page.as_uri())
    colours = browser.execute_script("return JSON.parse(document.getElementById('chrono-data').textContent).colors")
    assert ("saf", "certain", colours["saf"]) == marker_after_moving_the_slider_to(browser, "2023-12-14T12:00:00+02:00", "wad-madani")
    assert ("rsf", "certain", colours["rsf"]) == marker_after_moving_the_slider_to(browser, "2023-12-21T12:00:00+02:00", "wad-madani")
    focus = browser.execute_script("return Array.from(document.querySelectorAll('#map path.country.focus')).map(p => p.getAttribute('data-country'))")
    assert {"Sudan", "Saudi Arabia"} == set(focus)
    drawn = browser.execute_script("return Array.from(document.querySelectorAll('#map .place')).filter(g => !g.closest('.side-list')).map(g => g.getAttribute('data-place'))")
    assert sudan.ON_THE_MAP == set(drawn)
    shot = tmp_path / "sudan.png"
    browser.save_screenshot(str(shot))
    print(f"slider screenshot: {shot}")
    assert [] == severe(browser)


def test_slider_page_redraws_aleppo_for_each_date_offline(browser, log, tmp_path):  # noqa: F811
    page = tmp_path / "slider.html"
    page.write_text(render_slider_html(log, at("2024-11-26"), at("2024-12-10")), encoding="utf-8")
    browser.get(page.as_uri())
    assert ("syrian-government", "certain", GOVERNMENT) == aleppo_after_moving_the_slider_to(browser, "2024-11-26T12:00:00+03:00")
    assert ("syrian-government", "possible", GOVERNMENT) == aleppo_after_moving_the_slider_to(browser, "2024-11-28T12:00:00+03:00")
    assert ("hts", "certain", HTS) == aleppo_after_moving_the_slider_to(browser, "2024-12-01T12:00:00+03:00")
    assert "30 Nov 2024 00:00" in browser.find_element("id", "when").text
    panel = browser.find_element("id", "changes").text
    assert "Aleppo: held by Hayat Tahrir al-Sham" in panel and "By Friday, with Aleppo having fallen" in panel
    # Assad's label follows him from Damascus to Moscow.
    aleppo_after_moving_the_slider_to(browser, "2024-12-09T12:00:00+03:00")
    people = browser.execute_script("return Array.from(document.querySelectorAll('.person-label[data-person=assad]')).map(t => t.closest('[data-for]').getAttribute('data-for'))")
    assert ["moscow"] == people
    shot = tmp_path / "slider.png"
    browser.save_screenshot(str(shot))
    print(f"slider screenshot: {shot}")
    assert [] == [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_timeline_page_shows_an_events_sources_on_click(browser, log, tmp_path):  # noqa: F811
    page = tmp_path / "timeline.html"
    page.write_text(render_timeline_html(log), encoding="utf-8")
    browser.get(page.as_uri())
    bar = browser.find_element("css selector", '.lane[data-lane="aleppo"] .ev[data-event="aleppo-captured"]')
    assert float(bar.value_of_css_property("width").removesuffix("px")) > 20  # the whole window, not a point
    bar.click()
    detail = browser.find_element("id", "detail").text
    assert "Hayat Tahrir al-Sham" in detail and "By Friday, with Aleppo having fallen" in detail and "Al Majalla" in detail
    # Filter by actor: with HTS unticked, its capture of Aleppo disappears.
    browser.find_element("css selector", 'input[data-actor="hts"]').click()
    assert [] == browser.find_elements("css selector", '.ev[data-event="aleppo-captured"]')
    assert browser.find_elements("css selector", '.ev[data-event="gov-holds-aleppo"]')
    shot = tmp_path / "timeline.png"
    browser.save_screenshot(str(shot))
    print(f"timeline screenshot: {shot}")
    assert [] == [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
