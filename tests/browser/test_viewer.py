"""The viewer in a real browser: list, post, progress, plan page, rack, search, download, sweep.

The tests run in order on one server and one browser. What the page highlights is checked
against the plan object itself (its cables' segment indices), not against the viewer's
own route parsing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.browser.cdp import Browser
from tests.browser.conftest import KEY, ROOT, Served

SCENARIO = ROOT / "examples" / "enterprise-hall.yaml"


def _segments_of(served: Served, *, rack: str | None = None, cable: str | None = None) -> set[str]:
    plan = served.plan
    segs = plan.pathways.segments
    return {
        segs[i].id
        for c in plan.cables
        if (rack is not None and rack in (c.a_rack, c.b_rack)) or c.id == cable
        for i in c.segments
    }


def _lit(browser: Browser) -> set[str]:
    return set(
        browser.eval(
            "[...document.querySelectorAll('#floor [data-segment].v-hl')]"
            ".map((e) => e.dataset.segment)"
        )
    )


def _click_rack(browser: Browser, rack: str) -> None:
    """Click a part of the rack no tray segment is drawn over."""
    point = browser.wait(
        f"""(() => {{
        const rack = document.querySelector('#floor [data-rack="{rack}"]');
        const r = rack.getBoundingClientRect();
        for (let f = 0.05; f < 1; f += 0.05) {{
          const x = r.left + r.width / 2, y = r.top + r.height * f;
          const top = document.elementFromPoint(x, y);
          if (top && top.closest('[data-rack], [data-segment]') === rack) return [x, y];
        }}
        return null; }})()"""
    )
    browser.click_at(*point)


def _open_with_key(browser: Browser, url: str) -> None:
    browser.goto(url)
    browser.wait("!document.getElementById('key-form').hidden")
    browser.eval(
        f"document.getElementById('key-input').value = {json.dumps(KEY)};"
        "document.getElementById('key-form').requestSubmit(); true"
    )


def test_listing_asks_for_the_key_then_lists_the_stored_plan(
    browser: Browser, served: Served
) -> None:
    _open_with_key(browser, served.url + "/")
    rows = browser.wait(
        "document.querySelectorAll('#plans tbody tr').length && "
        "[...document.querySelectorAll('#plans tbody tr')].map((r) => r.innerText)"
    )
    assert any("enterprise-hall" in r and "1,216" in r for r in rows)
    assert browser.eval("sessionStorage.getItem('topo-api-key')") == KEY
    assert browser.eval("document.getElementById('key-form').hidden")


def test_posting_a_scenario_shows_progress_until_done(browser: Browser, served: Served) -> None:
    browser.goto(served.url + "/#/")
    browser.wait("document.getElementById('scenario-file')")
    browser.eval(
        "window.sawProgress = false; new MutationObserver(() => { if "
        "(document.querySelector('#plans progress')) window.sawProgress = true; })"
        ".observe(document.body, {subtree: true, childList: true}); true"
    )
    before = browser.wait("document.querySelectorAll('#plans tbody tr').length")
    browser.set_files("#scenario-file", SCENARIO)
    browser.click("#post-scenario")
    browser.wait(f"document.querySelectorAll('#plans tbody tr').length === {before + 1}")
    browser.wait("window.sawProgress")
    # the newest plan comes first and turns done without reloading the page
    browser.wait(
        "document.querySelector('#plans tbody tr .v-status-done') && "
        "document.querySelector('#plans tbody tr:first-child a')",
        timeout=60,
    )


def test_plan_page_highlights_a_racks_cable_routes(browser: Browser, served: Served) -> None:
    browser.goto(f"{served.url}/#/plan/{served.plan_id}")
    browser.wait("document.querySelector('#floor svg [data-rack=\"A01\"]')")
    figures = browser.eval("document.getElementById('figures').innerText")
    assert "1,216" in figures
    _click_rack(browser, "A01")
    browser.wait("document.querySelector('#detail h2')?.textContent === 'Rack A01'")
    assert _lit(browser) == _segments_of(served, rack="A01")
    devices = browser.eval("document.querySelector('#detail table').innerText")
    assert "leaf-A01" in devices and "srv-A01-01" in devices


def test_clicking_a_segment_shows_its_fill(browser: Browser, served: Served) -> None:
    browser.click('#floor [data-segment="T-A.001"]')
    text = browser.wait("document.getElementById('segment-fill')?.textContent")
    assert "40 cables" in text
    assert _lit(browser) == {"T-A.001"}


def test_search_finds_a_cable_and_shows_its_route(browser: Browser, served: Served) -> None:
    cable = next(c for c in served.plan.cables if c.tier == "leaf-spine" and c.segments)
    browser.eval(f"document.getElementById('cable-search').value = {json.dumps(cable.id)}; true")
    browser.eval("document.getElementById('search-form').requestSubmit(); true")
    browser.wait("document.querySelector('#detail h2')?.textContent.includes('matching')")
    assert cable.id in browser.eval("document.querySelector('#detail tbody tr').innerText")
    assert _lit(browser) == _segments_of(served, cable=cable.id)


def test_search_text_is_shown_as_text_never_as_markup(browser: Browser, served: Served) -> None:
    hostile = '<img src=x id="injected">'
    browser.eval(f"document.getElementById('cable-search').value = {json.dumps(hostile)}; true")
    browser.eval("document.getElementById('search-form').requestSubmit(); true")
    heading = browser.wait("document.querySelector('#detail h2')?.textContent.includes('<img')")
    assert heading
    assert browser.eval("document.getElementById('injected')") is None


def test_download_saves_the_plans_file(browser: Browser, served: Served, tmp_path: Path) -> None:
    browser.allow_downloads(tmp_path)
    browser.click('button[data-file="cables.csv"]')
    target = tmp_path / "cables.csv"
    deadline = time.monotonic() + 15
    while not target.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    assert target.read_bytes() == (served.plan_dir / "cables.csv").read_bytes()


def test_screenshot_of_the_plan_page(browser: Browser, served: Served, tmp_path: Path) -> None:
    browser.goto(f"{served.url}/#/plan/{served.plan_id}")
    browser.wait("document.querySelector('#floor svg [data-rack=\"A05\"]')")
    _click_rack(browser, "A05")
    browser.wait("document.querySelector('#detail h2')?.textContent === 'Rack A05'")
    browser.eval(
        "window.scrollTo(0, 0); document.querySelector('.v-side').scrollTop = 0;"
        "document.getElementById('cable-search').value = ''; true"
    )
    assert browser.eval("getComputedStyle(document.getElementById('key-form')).display") == "none"
    png = browser.screenshot()
    assert png.startswith(b"\x89PNG")
    # TOPO_VIEWER_SCREENSHOT=docs/viewer.png refreshes the README's picture
    (Path(os.environ.get("TOPO_VIEWER_SCREENSHOT") or tmp_path / "viewer.png")).write_bytes(png)


def test_sweep_page_opens_a_variant_from_the_chart(browser: Browser, served: Served) -> None:
    browser.goto(f"{served.url}/#/sweep")
    points = browser.wait("document.querySelectorAll('#chart circle[data-plan]').length")
    assert points == 4
    browser.click("#chart circle[data-plan]")
    browser.wait("location.hash.startsWith('#/plan/')")
    browser.wait("document.querySelector('#floor svg [data-rack]')")


def test_the_page_raised_no_script_errors(browser: Browser) -> None:
    # a 401 before the key is given is expected; anything else is a fault of the page
    assert [e for e in browser.errors if "401" not in e] == []
    assert browser.eval("window.cspViolations") == []
