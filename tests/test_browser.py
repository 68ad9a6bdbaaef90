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
    colours = {a: browser.find_element("css selector", f'.legend-actor[data-actor="{a}"] circle').get_attribute("fill") for a in (sudan.SAF, sudan.RSF)}
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


# --- the pages as a user makes them, on the bundled chronicle and on a log of Sudan ---------------------


def chrono(*args: str) -> str:
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, list(args))
    assert 0 == result.exit_code, result.output
    return result.output


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> tuple[str, ...]:
    """No log named and none here: the commands read the bundled chronicle."""
    monkeypatch.chdir(tmp_path)
    return ()


def _counts(text: str) -> tuple[int, int, int]:
    import re

    m = re.search(r"(\d+) places certain, (\d+) possible, (\d+) contested", text)
    return tuple(int(g) for g in m.groups())


def test_slider_page_opened_at_a_moment_shows_what_the_map_and_state_show_there(browser, bundled, tmp_path):
    import json
    import xml.etree.ElementTree as ET

    page, svg = tmp_path / "fall.html", tmp_path / "at.svg"
    chrono("map", "--from", "2024-11-27", "--to", "2024-12-09", "--out", str(page))
    chrono("map", "--at", "2024-12-07T21:30", "--out", str(svg))
    doc = json.loads(chrono("state", "--at", "2024-12-07T21:30", "--json"))
    browser.get(page.as_uri() + "#2024-12-07T21:30")  # a time in the log's zone, as everywhere in Chrono
    assert browser.find_element("tag name", "body").get_attribute("data-time") <= "2024-12-07T21:30:00+03:00"
    root = ET.fromstring(svg.read_bytes())
    static = {g.get("data-place"): (g.get("data-controller"), g.get("data-status")) for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "place"}
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#map .place, #map .place-copy')).map(g => [g.getAttribute('class'), g.getAttribute('data-place'), g.getAttribute('data-controller'), g.getAttribute('data-status')])")
    copies = [s for s in shown if s[0] == "place-copy"]
    assert {"aleppo", "hama", "damascus"} <= {s[1] for s in copies}  # the close-ups' copies
    assert [] == [s for s in shown if (s[2], s[3]) != static[s[1]]]  # main map and close-ups, as the map at that moment
    located = set(static)
    in_state = [c for c in doc["control"] if c["place"] in located and c["status"] != "unknown"]
    from_state = (sum(c["status"] == "certain" for c in in_state), sum(c["status"] == "possible" for c in in_state), sum(bool(c["contested_with"]) for c in in_state))
    subtitle = next(t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "subtitle")
    assert from_state == _counts(subtitle) == _counts(browser.find_element("id", "summary").text)
    assert [] == severe(browser)


OVERLAPPING_NAMES = """
var data = JSON.parse(document.getElementById("chrono-data").textContent), found = [];
for (var i = 0; i < data.steps.length; i++) {
  window.chronoShow(i);
  var boxes = Array.from(document.querySelectorAll("#map svg .place-label, #map svg .person-label")).map(function (t) {
    var r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom];
  });
  for (var a = 0; a < boxes.length; a++) for (var b = a + 1; b < boxes.length; b++) {
    var A = boxes[a], B = boxes[b];
    // Lines of one label touch by a pixel of their boxes' leading; more than 2px of both is ink on ink.
    var w = Math.min(A[3], B[3]) - Math.max(A[1], B[1]), h = Math.min(A[4], B[4]) - Math.max(A[2], B[2]);
    if (w > 2 && h > 2) found.push([data.steps[i].t, A[0], B[0]]);
  }
}
return [data.steps.length, found];
"""


@pytest.mark.parametrize("which", ["bundled", "sudan"])
def test_slider_page_never_draws_names_over_each_other(browser, which, request, tmp_path):
    db = ("--db", request.getfixturevalue("sudan_db")) if which == "sudan" else request.getfixturevalue("bundled")
    span = ("2023-12-10", "2023-12-22") if which == "sudan" else ("2024-11-27", "2024-12-09")
    page = tmp_path / "page.html"
    chrono(*db, "map", "--from", span[0], "--to", span[1], "--out", str(page))
    browser.get(page.as_uri())
    stops, overlapping = browser.execute_script(OVERLAPPING_NAMES)
    assert stops > 5
    assert [] == overlapping
    assert [] == severe(browser)


TIMELINE_LAYOUT = """
var t = document.getElementById("timeline");
t.scrollLeft = t.scrollWidth;
var view = t.getBoundingClientRect(), problems = [];
var names = Array.from(document.querySelectorAll(".lane-name"));
names.forEach(function (n) {
  var r = n.getBoundingClientRect();
  if (r.left < view.left - 1 || r.right > view.right || !n.textContent.trim()) problems.push(["name out of view", n.textContent]);
});
document.querySelectorAll(".track").forEach(function (track) {
  var bars = Array.from(track.querySelectorAll(".ev")), labels = bars.map(function (b) { return b.querySelector(".ev-label"); });
  bars.forEach(function (b, i) {
    if (!labels[i] || !labels[i].textContent.trim()) problems.push(["bar without text", b.getAttribute("data-event")]);
  });
  for (var i = 0; i < bars.length; i++) for (var j = 0; j < bars.length; j++) {
    if (i === j || !labels[i]) continue;
    var A = labels[i].getBoundingClientRect();
    [labels[j], bars[j]].forEach(function (other) {
      if (!other || (other === labels[j] && j < i)) return;
      var B = other.getBoundingClientRect();
      var w = Math.min(A.right, B.right) - Math.max(A.left, B.left), h = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
      if (w > 1 && h > 1) problems.push(["text over", bars[i].getAttribute("data-event"), bars[j].getAttribute("data-event")]);
    });
  }
});
return [t.scrollLeft, names.length, document.querySelectorAll(".ev").length, problems];
"""


@pytest.mark.parametrize("which", ["bundled", "sudan"])
def test_timeline_page_keeps_lane_names_in_view_and_bars_carry_their_text(browser, which, request, tmp_path):
    db = ("--db", request.getfixturevalue("sudan_db")) if which == "sudan" else request.getfixturevalue("bundled")
    page = tmp_path / "timeline.html"
    chrono(*db, "timeline", "--html", str(page))
    browser.get(page.as_uri())
    scrolled, lanes, bars, problems = browser.execute_script(TIMELINE_LAYOUT)
    assert scrolled > 0 and lanes > 3 and bars > 10  # the page is wider than the window, and was scrolled
    assert [] == problems
    summary = browser.execute_script("return Object.fromEntries(JSON.parse(document.getElementById('chrono-data').textContent).events.map(e => [e.id, e.summary]))")
    for bar in browser.find_elements("css selector", ".ev")[:30]:
        text = bar.find_element("css selector", ".ev-label").get_attribute("textContent")
        assert summary[bar.get_attribute("data-event")].startswith(text.removesuffix("…"))
    assert [] == severe(browser)
