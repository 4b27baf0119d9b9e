"""The dashboard page of a generated warehouse in a real headless Chromium (Debian's package,
driven by Playwright), as a person sees it: through `serve` with the dashboard's HTTP Basic
credentials in the URL, no console error, nothing fetched from elsewhere, every chart
drawn, and at 1280 and 390 pixels a layout a screenshot could hide: every chart drawn
within its panel, no text outside its chart, legends clear of the axes' labels, no series
before the first day with data. The figures equal the published JSON and the warehouse;
the page still opens from its own folder. Screenshots go to screenshots/ (the README's
docs/images are the first screen of each, copied from there)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from pipelines import dashboard, storage
from pipelines.config import load_settings
from pipelines.endpoints.base import Context, open_session, rows
from tests.browser import chromium
from tests.conftest import GENERATED_NOW as NOW
from tests.conftest import query
from tests.servers import SERVE_SECRETS

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
FIRST_SCREEN = 1500  # the height of the README's screenshots
READER = SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_USER"]
PASSWORD = SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_PASSWORD"]
PRODUCTS = {
    "Coder": "coder",
    "Rocket.Chat": "rocketchat",
    "SeaTable": "seatable",
    "OpenL2M": "openl2m",
}
# Per time-series chart, the query of the first day with data of the trace named.
FIRST_DAYS = {
    "DAU, WAU and MAU, last 90 days": lambda name: (
        "select min(activity_date)::varchar from fct_active_users_daily "
        f"where source = '{PRODUCTS[name]}'"
    ),
    "User messages per day": lambda _: (
        "select min(message_date)::varchar from fct_rocketchat_messages_daily"
    ),
    "Active users per day": lambda _: (
        "select min(activity_date)::varchar from fct_active_users_daily where source = 'seatable'"
    ),
    "Script runs and run time per month": lambda _: (
        "select strftime(min(finished_date), '%Y-%m') from fct_seatable_script_runs_daily"
    ),
    "Rejected lines per day": lambda _: "select min(day)::varchar from rejects",
}
# What the page says of each chart: its box, its panel's, its drawing's, its texts (and
# whether each is a legend's or an axis label), its traces' names and x values.
CHARTS = """() => [...document.querySelectorAll(".chart")].map((chart) => {
  const box = (node) => { const r = node.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  return {
    title: chart.getAttribute("aria-label"),
    box: box(chart),
    panel: box(chart.closest(".panel")),
    drawing: box(chart.querySelector(".main-svg")),
    marks: chart.querySelectorAll(".main-svg path, .main-svg rect").length,
    texts: [...chart.querySelectorAll("text")]
      .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
      .map((t) => ({ text: t.textContent, box: box(t), legend: !!t.closest(".legend"),
                     label: !!t.closest(".xtick, .ytick, .y2tick") })),
    traces: chart.data.map((t) => ({ name: t.name, x: (t.x || []).map(String) })),
  };
})"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def opened(browser, url: str, width: int):
    """The page at a width, with what it logged and every request it made."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, errors, requests


def through_serve(live_serve) -> str:
    """The page's address on the live serve, with the dashboard's credentials in it."""
    parts = urlsplit(live_serve[0])
    return f"http://{READER}:{PASSWORD}@{parts.netloc}/reports/index.html"


@cache
def first_day(generated: Path, sql: str) -> str:
    ((day,),) = query(generated, sql)
    return day


def figure(page, name: str) -> float:
    return float(page.text_content(f'[data-figure="{name}"]').replace(",", ""))


def inside(inner: dict, outer: dict) -> bool:
    return all(
        (inner[side] >= outer[side] - 1)
        if side in ("left", "top")
        else inner[side] <= outer[side] + 1
        for side in ("left", "right", "top", "bottom")
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_through_serve_every_chart_is_drawn_within_its_panel(generated, live_serve, browser, width):
    page, errors, requests = opened(browser, through_serve(live_serve), width)
    assert errors == []
    origin = live_serve[0].replace("http://", f"http://{READER}:{PASSWORD}@")
    assert all(
        url.startswith(live_serve[0] + "/reports/") or url.startswith(origin) for url in requests
    )
    charts = page.evaluate(CHARTS)
    assert len(charts) >= 17
    for chart in charts:
        title = chart["title"]
        assert chart["marks"] > 0, title  # drawn marks, not an empty frame
        assert inside(chart["drawing"], chart["panel"]), title
        assert (
            chart["drawing"]["right"] - chart["drawing"]["left"]
            <= chart["box"]["right"] - chart["box"]["left"] + 1
        ), title
        for text in chart["texts"]:
            assert inside(text["box"], chart["box"]), (title, text["text"])
        legend = [t for t in chart["texts"] if t["legend"]]
        for label in (t for t in chart["texts"] if t["label"]):
            assert not any(overlap(label["box"], item["box"]) for item in legend), (
                title,
                label["text"],
            )
        if title in FIRST_DAYS:  # no series before the first day with data
            for trace in chart["traces"]:
                assert trace["x"][0] == first_day(generated, FIRST_DAYS[title](trace["name"]))
    assert {c["title"] for c in charts} >= set(FIRST_DAYS) - {"Rejected lines per day"}
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)
    first_screen = {"x": 0, "y": 0, "width": width, "height": FIRST_SCREEN}
    page.screenshot(
        path=str(SCREENSHOTS / f"dashboard-{width}-first-screen.png"),
        clip=first_screen,
        full_page=True,
    )
    page.close()


def test_the_figures_are_the_published_reports_and_the_warehouse(generated, live_serve, browser):
    wh = storage.Warehouse(generated)
    page, _, _ = opened(browser, through_serve(live_serve), 1280)
    # Today's DAU per product: the latest day with activity, as the warehouse counts it.
    ((day,),) = query(generated, "select max(activity_date) from fct_active_users_daily")
    for source, dau in query(
        generated,
        f"select source, count(distinct user_id) from fct_active_users_daily "
        f"where activity_date = DATE '{day}' group by all",
    ):
        assert figure(page, f"dau-{source}") == dau
    # SeaTable's equals its published active-users file for that day.
    seatable = orjson.loads(
        (wh.reports / "api/v2.1/admin/statistics/active-users/last-7-days.json").read_bytes()
    )
    counts = {d["datetime"][:10]: d["count"] for d in seatable["active_users"]}
    assert figure(page, "dau-seatable") == counts[str(day)]
    # Coder's hours per template over the published four weeks.
    templates = orjson.loads(
        (wh.reports / "api/v2/insights/templates/last-4-weeks.json").read_bytes()
    )
    start, end = templates["report"]["start_time"], templates["report"]["end_time"]
    hours = query(
        generated,
        "select coalesce(nullif(t.display_name, ''), t.name), round(sum(u.usage_mins) / 60, 1) "
        "from fct_coder_usage_30m u join (select * from coder_templates "
        "qualify row_number() over (partition by id order by updated_at desc) = 1) t "
        f"on t.id = u.template_id where u.start_time >= '{start}' and u.end_time <= '{end}' "
        "group by all",
    )
    assert hours
    for name, value in hours:
        assert figure(page, f"coder-template-hours-{name}") == value
    assert figure(page, "coder-active-users") == templates["report"]["active_users"]
    # Rocket.Chat's total messages: its published statistics.
    statistics = orjson.loads((wh.reports / "api/v1/statistics/latest.json").read_bytes())
    assert figure(page, "rocketchat-total-messages") == statistics["statistics"]["totalMessages"]
    # OpenL2M's log entries: a figure of their own, beside the inventory's chart.
    stats = orjson.loads((wh.reports / "api/stats/latest.json").read_bytes())
    assert figure(page, "openl2m-log-entries") == stats["database"]["log_entries"]["value"]
    # Rejected lines of the last 30 days: the warehouse's rejects table.
    ((rejected,),) = query(
        generated,
        f"select count(*) from rejects where day > DATE '{NOW.date() - timedelta(days=30)}'",
    )
    assert figure(page, "rejects-total") == rejected
    # The last runs lead with the run that wrote the page, running as it did so.
    run_id = orjson.loads(storage.reports_manifest(wh.reports).read_bytes())["run_id"]
    status = page.text_content(f'[data-figure="run-status-{run_id}"]')
    assert status == "running (wrote this page)"
    assert query(generated, f"select status from runs where run_id = '{run_id}'") == [("ok",)]
    page.close()


def page_data(generated) -> dict:
    con = open_session(storage.Warehouse(generated))
    try:
        return dashboard.page_data(Context(con, NOW, load_settings(ROOT / "flows.yaml")), NOW, {})
    finally:
        con.close()


def test_from_its_own_folder_and_a_day_of_rejects_labelled_by_its_date(
    generated, browser, tmp_path
):
    """Written anywhere, the page opens from file:// and fetches nothing beside its folder;
    a chart of one day's rejects labels its axis with that day, not a clock time."""
    data = page_data(generated)
    data["health"]["rejects_per_day"] = [
        {"day": "2026-03-11", "count_rejected": 3, "top_reasons": ["not JSON (3)"]}
    ]
    dashboard.write(tmp_path, data)
    page, errors, requests = opened(browser, storage.dashboard_page(tmp_path).as_uri(), 1280)
    assert errors == []
    assert all(url.startswith(tmp_path.as_uri() + "/") for url in requests), requests
    rejects = page.locator('.chart[aria-label="Rejected lines per day"]')
    assert rejects.locator(".xtick text").all_text_contents() == ["2026-03-11"]
    page.close()


def test_any_instant_and_any_folder(generated, tmp_path):
    """`dashboard --now --out`: the same page as of another instant, where asked."""
    from typer.testing import CliRunner

    from pipelines.cli import app

    result = CliRunner().invoke(
        app,
        [
            "dashboard",
            "--now",
            "2026-03-08T00:00:00Z",
            "--out",
            str(tmp_path / "page"),
            "--warehouse",
            str(generated),
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "page" / "index.html").read_text()
    assert '"now":"2026-03-08T00:00:00+00:00"' in page
    assert (tmp_path / "page" / "plotly.min.js").stat().st_size > 1_000_000
    shutil.rmtree(tmp_path / "page")


def test_health_lists_the_runs_and_the_latest_warnings(generated):
    """The runs and the latest checks' warnings reach the page's data (they were once read
    from two result sets of one connection, where the second query empties the first)."""
    health = page_data(generated)["health"]
    runs = query(generated, "select run_id from runs order by run_id desc")
    assert runs
    assert [r["run_id"] for r in health["runs"]] == [r for (r,) in runs]
    warnings = query(
        generated,
        "select check_name, subject, detail from checks "
        "where run_id = (select max(run_id) from checks) order by all",
    )
    assert [tuple(w.values()) for w in health["warnings"]] == [tuple(w) for w in warnings]


def test_each_series_starts_on_its_first_day_with_activity(mini):
    """Zero-filled after a product's first day with activity, never before it; a product
    without any is no series (and its figures are zeros)."""
    m = mini()
    m.add(
        "seatable_user_activity",
        [
            {"username": "a", "timestamp": "2024-05-03T10:00:00Z"},
            {"username": "b", "timestamp": "2024-05-05T10:00:00Z"},
        ],
    )
    m.build()
    con = storage.open_warehouse(m.wh)
    try:
        ctx = Context(con, datetime(2024, 5, 6, 12, tzinfo=UTC), m.settings)
        series = rows(
            ctx, "rpt_dashboard_active_users", {"first": date(2024, 5, 1), "last": date(2024, 5, 6)}
        )
        overview = dashboard._overview(ctx)
    finally:
        con.close()
    assert [tuple(r.values()) for r in series] == [
        ("seatable", date(2024, 5, 3), 1, 1, 1),
        ("seatable", date(2024, 5, 4), 0, 1, 1),
        ("seatable", date(2024, 5, 5), 1, 2, 2),
        ("seatable", date(2024, 5, 6), 0, 2, 2),
    ]
    assert overview["day"] == date(2024, 5, 5)
    coder = next(p for p in overview["products"] if p["source"] == "coder")
    assert (coder["dau"], coder["wau"], coder["mau"]) == (0, 0, 0)


def test_the_newest_raw_file_is_the_last_written(mini):
    """Not the last by path: part-0001 was written after part-0002."""
    m = mini()
    older = m.add(
        "seatable_user_activity", [{"username": "a", "timestamp": "2024-05-03T10:00:00Z"}]
    )
    newer = m.add(
        "seatable_user_activity", [{"username": "b", "timestamp": "2024-05-03T11:00:00Z"}]
    )
    os.utime(older, ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    os.utime(newer, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    m.build()
    con = storage.open_warehouse(m.wh)
    try:
        health = rows(
            Context(con, datetime(2024, 5, 6, tzinfo=UTC), m.settings), "rpt_dashboard_health"
        )
    finally:
        con.close()
    seatable = next(h for h in health if h["source"] == "seatable")
    assert seatable["newest_file"] == "seatable/user_activity/part-0001.ndjson"
