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
from projections.pictures import MAX_GROUPS, render_slider_html, render_timeline_html

from . import sudan
from .logs import bundled, chrono, either, sudan_db  # noqa: F401  (fixtures)
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


def test_slider_page_of_a_sudan_log_draws_sudan_and_redraws_wad_madani(browser, sudan_db, tmp_path):  # noqa: F811
    page = tmp_path / "sudan.html"
    chrono("--db", sudan_db, "map", "--from", "2023-12-10", "--to", "2023-12-22", "--out", str(page))
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


def _counts(text: str) -> tuple[int, int, int]:
    import re

    m = re.search(r"(\d+) places certain, (\d+) possible, (\d+) contested", text)
    return tuple(int(g) for g in m.groups())


def test_slider_page_opened_at_a_moment_shows_what_the_map_and_state_show_there(browser, bundled, tmp_path):  # noqa: F811
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


def test_slider_page_never_draws_names_over_each_other(browser, either, tmp_path):  # noqa: F811
    span = ("2023-12-10", "2023-12-22") if either else ("2024-11-27", "2024-12-09")  # Sudan's, or the bundled chronicle's
    page = tmp_path / "page.html"
    chrono(*either, "map", "--from", span[0], "--to", span[1], "--out", str(page))
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


def test_timeline_page_keeps_lane_names_in_view_and_bars_carry_their_text(browser, either, tmp_path):  # noqa: F811
    page = tmp_path / "timeline.html"
    chrono(*either, "timeline", "--html", str(page))
    browser.get(page.as_uri())
    scrolled, lanes, bars, problems = browser.execute_script(TIMELINE_LAYOUT)
    assert scrolled > 0 and lanes > 3 and bars > 10  # the page is wider than the window, and was scrolled
    assert [] == problems
    summary = browser.execute_script("return Object.fromEntries(JSON.parse(document.getElementById('chrono-data').textContent).events.map(e => [e.id, e.summary]))")
    for bar in browser.find_elements("css selector", ".ev")[:30]:
        text = bar.find_element("css selector", ".ev-label").get_attribute("textContent")
        assert summary[bar.get_attribute("data-event")].startswith(text.removesuffix("…"))
    assert [] == severe(browser)


# --- the TimelineJS export, loaded by the real TimelineJS -------------------------------------------------

TIMELINEJS = "@knight-lab/timelinejs@3.9.11"  # from the npm registry, fetched once into pytest's cache


@pytest.fixture(scope="session")
def timelinejs(request, tmp_path_factory) -> tuple[str, str]:
    """TimelineJS's built script and style (paths), from its npm package (kept in pytest's cache, or
    for this run only without one); skips when npm or the registry cannot be reached."""
    import subprocess
    import tarfile

    cache = getattr(request.config, "cache", None)
    home = (cache.mkdir("timelinejs") if cache else tmp_path_factory.mktemp("timelinejs")) / TIMELINEJS.rsplit("@", 1)[1]
    if not home.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("needs npm to fetch TimelineJS (apt-get install -y npm)")
        work = tempfile.mkdtemp(prefix="timelinejs-", dir=home.parent)
        try:
            done = subprocess.run([npm, "pack", TIMELINEJS, "--pack-destination", work], capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                pytest.skip(f"could not fetch {TIMELINEJS} from the npm registry: {done.stderr.strip()[-200:]}")
            tarball = os.path.join(work, done.stdout.strip().splitlines()[-1])
            dist = os.path.join(work, "dist")
            with tarfile.open(tarball) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith("package/dist/") and m.isfile()]
                for m in members:
                    m.name = m.name.removeprefix("package/dist/")
                tar.extractall(dist, members=members, filter="data")
            try:
                os.rename(dist, home)  # whole or not at all; another worker may have got here first
            except OSError:
                pass
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return str(home / "js" / "timeline.js"), str(home / "css" / "timeline.css")


def timelinejs_page(path, doc_text: str, library: tuple[str, str]) -> str:
    """A page embedding the export as a reader would, 700 pixels high. (`font: null`: TimelineJS's
    default font is fetched from the network, which these tests never use.)"""
    from pathlib import Path

    script, style = (Path(p).as_uri() for p in library)
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="{style}"></head><body style="margin:0">'
        f'<div id="timeline-embed" style="width:100%;height:700px"></div><script src="{script}"></script>'
        f'<script>window.timeline = new TL.Timeline("timeline-embed", {doc_text}, {{font: null}});</script></body></html>',
        encoding="utf-8")
    return path.as_uri()


def load_timeline(browser, uri: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(uri)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.querySelectorAll('.tl-timemarker').length > 0"))


IN_VIEW = """
var nav = document.querySelector(".tl-timenav").getBoundingClientRect();
return Array.from(document.querySelectorAll(".tl-timemarker")).filter(function (m) {
  var r = m.getBoundingClientRect(); return r.left >= nav.left && r.left < nav.right;
}).map(function (m) { return m.id.replace(/-marker$/, ""); });
"""

SLIDE_DATE = """
window.timeline.goToId(arguments[0]);
var slide = document.getElementById(arguments[0]);
return slide ? slide.querySelector(".tl-headline-date").textContent : null;
"""


def test_timelinejs_shows_the_export_opening_on_the_chronicle_in_a_few_rows(browser, either, timelinejs, tmp_path):  # noqa: F811
    import json

    text = chrono(*either, "export", "--format", "timelinejs", "--group", "place")
    doc = json.loads(text)
    load_timeline(browser, timelinejs_page(tmp_path / "embed.html", text, timelinejs))
    # Opens on the chronicle: the time bar shows the chronicle's events, none of its far background.
    first = min((e["start_date"]["year"], e["start_date"].get("month", 1)) for e in doc["events"])
    shown = browser.execute_script(IN_VIEW)
    by_id = {e["unique_id"]: e for e in doc["events"]}
    assert len(shown) >= 5
    assert all((by_id[i]["start_date"]["year"], by_id[i]["start_date"].get("month", 1)) >= first for i in shown)
    assert ((2023, 12) if either else (2024, 11)) <= first  # Sudan's December, or the bundled chronicle's November
    # A few rows of places, and the story above them keeps most of the embed.
    rows = browser.execute_script("return Array.from(document.querySelectorAll('.tl-timegroup-message')).map(m => m.textContent)")
    assert 1 < len(rows) <= MAX_GROUPS
    assert set(rows) <= {e["group"] for e in doc["events"]}
    story, bar = browser.execute_script("return ['.tl-storyslider', '.tl-timenav'].map(c => document.querySelector(c).getBoundingClientRect().height)")
    assert story >= 0.6 * 700 and story + bar <= 700 + 1
    # Each slide prints its window as the export's display dates say, the end inclusive.
    for slide in [e for e in doc["events"] if "end_date" in e][:8]:
        expected = f"{slide['start_date']['display_date']} — {slide['end_date']['display_date']}"
        assert expected == browser.execute_script(SLIDE_DATE, slide["unique_id"])
    assert [] == severe(browser)


def test_timelinejs_prints_a_years_window_as_that_year_and_a_days_as_that_day(browser, sudan_db, timelinejs, tmp_path):  # noqa: F811
    text = chrono("--db", sudan_db, "export", "--format", "timelinejs", "--span", "all")
    load_timeline(browser, timelinejs_page(tmp_path / "embed.html", text, timelinejs))
    assert "May 2023" == browser.execute_script(SLIDE_DATE, "jeddah-talks")  # not "May 1, 2023 — June 1, 2023"
    assert "15 Apr 2023" == browser.execute_script(SLIDE_DATE, "war-begins")
    assert "18 Dec 2023 — 19 Dec 2023" == browser.execute_script(SLIDE_DATE, "rsf-takes-madani")  # by Tuesday: Monday or Tuesday
    assert "from an open start to 15 Dec 2023" == browser.execute_script(SLIDE_DATE, "saf-holds-madani")
    assert [] == severe(browser)
