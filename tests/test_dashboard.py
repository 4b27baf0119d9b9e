"""The dashboard page of a generated warehouse, opened from file:// in a real headless
Chromium (Debian's package, driven by Playwright): no console error, nothing fetched from
outside its folder, every chart drawn, the figures equal to the published JSON and the
warehouse. Screenshots at 1280 and 390 pixels go to screenshots/ (README)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipelines import pipeline, storage
from pipelines.config import load_settings
from pipelines.generate import generate
from tests.conftest import query

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
NOW = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic off: this machine has no network, and the page needs none.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A generated warehouse (10 days, all four products) after a nightly run."""
    root = tmp_path_factory.mktemp("dashboard")
    generate(root / "raw", 10, date(2026, 3, 2), "small", 3)
    wh = storage.Warehouse(root / "wh")
    summary = pipeline.run_nightly(load_settings(ROOT / "flows.yaml"), wh, root / "raw", NOW)
    assert summary.status == "ok"
    return wh.root


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def opened(browser, page_file: Path, width: int):
    """The page at a width, with what it logged and every request it made."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def figure(page, name: str) -> float:
    return float(page.text_content(f'[data-figure="{name}"]').replace(",", ""))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_draws_every_chart_from_its_own_folder(published, browser, width):
    page_file = storage.dashboard_page(storage.Warehouse(published).reports)
    page, errors, requests = opened(browser, page_file, width)
    assert errors == []
    folder = page_file.parent.as_uri()
    assert requests and all(url.startswith(folder + "/") for url in requests), requests
    charts = page.query_selector_all(".chart")
    assert len(charts) >= 15
    for chart in charts:  # every chart holds drawn marks, not an empty frame
        assert chart.eval_on_selector_all(".main-svg path, .main-svg rect", "els => els.length") > 0
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width  # nothing wider than the screen
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)
    page.close()


def test_the_figures_are_the_published_reports_and_the_warehouse(published, browser):
    wh = storage.Warehouse(published)
    page, _, _ = opened(browser, storage.dashboard_page(wh.reports), 1280)
    # Today's DAU per product: the latest day with activity, as the warehouse counts it.
    ((day,),) = query(published, "select max(activity_date) from fct_active_users_daily")
    for source, dau in query(
        published,
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
        published,
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
    # Rejected lines of the last 30 days: the warehouse's rejects table.
    ((rejected,),) = query(
        published,
        f"select count(*) from rejects where day > DATE '{NOW.date() - timedelta(days=30)}'",
    )
    assert figure(page, "rejects-total") == rejected
    page.close()


def test_any_instant_and_any_folder(published, tmp_path):
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
            str(published),
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "page" / "index.html").read_text()
    assert '"now":"2026-03-08T00:00:00+00:00"' in page
    assert (tmp_path / "page" / "plotly.min.js").stat().st_size > 1_000_000
    shutil.rmtree(tmp_path / "page")


def test_health_lists_the_runs_and_the_latest_warnings(published):
    """The runs and the latest checks' warnings reach the page's data (they were once read
    from two result sets of one connection, where the second query empties the first)."""
    from pipelines import dashboard
    from pipelines.endpoints.base import Context, open_session

    con = open_session(storage.Warehouse(published))
    try:
        settings = load_settings(ROOT / "flows.yaml")
        health = dashboard.page_data(Context(con, NOW, settings), NOW, {})["health"]
    finally:
        con.close()
    runs = query(published, "select run_id from runs order by run_id desc")
    assert runs
    assert [r["run_id"] for r in health["runs"]] == [r for (r,) in runs]
    warnings = query(
        published,
        "select check_name, subject, detail from checks "
        "where run_id = (select max(run_id) from checks) order by all",
    )
    assert [tuple(w.values()) for w in health["warnings"]] == [tuple(w) for w in warnings]
