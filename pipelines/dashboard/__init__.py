"""The dashboard: one static page per report set (reports/index.html), charts of every
product and of the data's health, readable from file:// without a server or network.

Python computes every number, from the same endpoint functions as the published reports
(its windows are flows.yaml's default ones, so its figures equal those files) and from a
few dashboard queries (sql/reports/rpt_dashboard_*.sql); the page's script only draws.
Charts are Plotly's: plotly.min.js comes with the `plotly` package from PyPI and is copied
beside the page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlencode

import orjson

from pipelines import endpoints, storage
from pipelines.config import ReportWindow, resolve_params
from pipelines.endpoints.base import Context, rows

OVERVIEW_DAYS = 90
NO_ACTIVITY = {"dau": 0, "wau": 0, "mau": 0}  # a product before its first day with activity

# The published windows the dashboard shows (flows.yaml's defaults, same parameters).
WINDOWS = {
    "coder_templates": ReportWindow(
        endpoint="api/v2/insights/templates",
        name="last-4-weeks",
        params={
            "start_time": "{utc_week-4}T00:00:00Z",
            "end_time": "{utc_week}T00:00:00Z",
            "interval": "week",
        },
    ),
    "coder_users": ReportWindow(
        endpoint="api/v2/insights/user-activity",
        name="last-30-days",
        params={"start_time": "{utc_date-30}T00:00:00Z", "end_time": "{utc_date}T00:00:00Z"},
    ),
    "rocketchat": ReportWindow(endpoint="api/v1/statistics", name="latest"),
    "seatable_active": ReportWindow(
        endpoint="api/v2.1/admin/statistics/active-users/",
        name="last-30-days",
        params={"start": "{date-29} 00:00:00", "end": "{date} 00:00:00"},
    ),
    "seatable_users": ReportWindow(
        endpoint="api/v2.1/admin/statistics/scripts-running/",
        name="users-this-month",
        params={"month": "{month}", "is_user": "true", "order_by": "-total_run_count"},
    ),
    "seatable_orgs": ReportWindow(
        endpoint="api/v2.1/admin/statistics/scripts-running/",
        name="orgs-this-month",
        params={"month": "{month}", "is_user": "false", "order_by": "-total_run_count"},
    ),
    "openl2m": ReportWindow(endpoint="api/stats/", name="latest"),
}


def _body(ctx: Context, window: ReportWindow, published: dict[str, dict]) -> dict:
    """A window's body: the one just published for the same request, else computed."""
    params = resolve_params(window.params, ctx.now, ctx.settings)
    target = f"{endpoints.normalise_path(window.endpoint)}?{urlencode(params)}"
    if target in published:
        return published[target]
    status, body = endpoints.call(ctx, target)
    if status != 200:
        raise RuntimeError(f"dashboard: {window.endpoint} answered {status}: {body}")
    return body


def _overview(ctx: Context) -> dict:
    """DAU, WAU and MAU per product over the last 90 days, each from its first day with
    activity; the figures of the latest day with any activity, against four weeks before
    it."""
    last = ctx.now.astimezone(ctx.zone).date()
    series = rows(
        ctx,
        "rpt_dashboard_active_users",
        {"first": last - timedelta(days=OVERVIEW_DAYS - 1), "last": last},
    )
    active_days = [r["activity_date"] for r in series if r["dau"]]
    day = max(active_days, default=last)
    by_key = {(r["source"], r["activity_date"]): r for r in series}
    products = []
    for source in ("coder", "rocketchat", "seatable", "openl2m"):
        today = by_key.get((source, day), NO_ACTIVITY)
        before = by_key.get((source, day - timedelta(days=28)))
        products.append(
            {
                "source": source,
                "dau": today["dau"],
                "wau": today["wau"],
                "mau": today["mau"],
                "dau_4_weeks_before": before["dau"] if before else None,
            }
        )
    return {"day": day, "products": products, "series": series}


def _coder(ctx: Context, templates: dict, users: dict) -> dict:
    report = templates["report"]
    start, end = report["start_time"], report["end_time"]
    per_template = rows(
        ctx,
        "rpt_dashboard_coder_templates",
        {
            "start": datetime.fromisoformat(start.replace("Z", "+00:00")),
            "end": datetime.fromisoformat(end.replace("Z", "+00:00")),
            "now": ctx.now,
        },
    )
    apps = [
        {"name": a["display_name"], "type": a["type"], "hours": round(a["seconds"] / 3600, 1)}
        for a in report["apps_usage"]
    ]
    busiest = sorted(users["report"]["users"], key=lambda u: (-u["seconds"], u["user_id"]))[:10]
    return {
        "window": [start, end],
        "active_users": report["active_users"],
        "templates": per_template,
        "apps": apps,
        "builtin_hours": round(sum(a["hours"] for a in apps if a["type"] == "builtin"), 1),
        "custom_hours": round(sum(a["hours"] for a in apps if a["type"] == "app"), 1),
        "busiest": [
            {"username": u["username"] or u["user_id"], "hours": round(u["seconds"] / 3600, 1)}
            for u in busiest
        ],
        "users_window": [users["report"]["start_time"], users["report"]["end_time"]],
    }


def _rocketchat(ctx: Context, statistics: dict) -> dict:
    # The seed body nests its fields; today's (rocketchat_statistics: current) holds them at
    # the top level and counts discussions apart, as Rocket.Chat's Workspace page shows them.
    stats = statistics.get("statistics", statistics)
    last = ctx.now.astimezone(UTC).date()
    discussions = "totalDiscussions" in stats
    return {
        "totals": {
            key: stats[key] for key in ("totalUsers", "activeUsers", "totalRooms", "totalMessages")
        },
        "statuses": {
            key: stats[key] for key in ("onlineUsers", "awayUsers", "busyUsers", "offlineUsers")
        },
        "users_by_type": rows(ctx, "rpt_dashboard_rocketchat_users", {"now": ctx.now}),
        "rooms_by_type": {
            "channels": stats["totalChannels"],
            "private groups": stats["totalPrivateGroups"],
            "direct": stats["totalDirect"],
            "livechat": stats["totalLivechat"],
            **({"discussions": stats["totalDiscussions"]} if discussions else {}),
        },
        "messages_by_type": {
            "channels": stats["totalChannelMessages"],
            "private groups": stats["totalPrivateGroupMessages"],
            "direct": stats["totalDirectMessages"],
            "livechat": stats["totalLivechatMessages"],
            **({"discussions": stats["totalDiscussionsMessages"]} if discussions else {}),
        },
        "messages_per_day": rows(
            ctx,
            "rpt_dashboard_rocketchat_messages",
            {"first": last - timedelta(days=OVERVIEW_DAYS - 1), "last": last},
        ),
    }


def _seatable(ctx: Context, active: dict, users: dict, orgs: dict, series: list[dict]) -> dict:
    """SeaTable's figures; its active users per day from its first day with activity (the
    overview's series starts there), as the overview draws them."""
    last = ctx.now.astimezone(ctx.zone).date()
    days = {str(r["activity_date"]) for r in series if r["source"] == "seatable"}
    return {
        "active_per_day": [d for d in active["active_users"] if d["datetime"][:10] in days],
        "runs_per_month": rows(
            ctx,
            "rpt_dashboard_seatable_runs",
            {"first": last.replace(day=1) - timedelta(days=335), "last": last},
        ),
        "top_users": users["results"][:10],
        "top_teams": orgs["results"][:10],
    }


def _health(ctx: Context, run: dict | None) -> dict:
    """Freshness, rejects, the last runs (led by the run writing the page, when one is: it
    is not committed yet) and the latest checks' warnings."""
    last = ctx.now.astimezone(UTC).date()
    runs = ([run] if run else []) + rows(ctx, "rpt_dashboard_runs")
    return {
        "sources": rows(ctx, "rpt_dashboard_health"),
        "rejects_per_day": rows(
            ctx, "rpt_dashboard_rejects", {"first": last - timedelta(days=29), "last": last}
        ),
        "runs": runs[:10],  # the last ten, as the query keeps
        "warnings": rows(ctx, "rpt_dashboard_warnings"),
    }


def page_data(
    ctx: Context, generated_at: datetime, published: dict[str, dict], run: dict | None = None
) -> dict:
    """Every number the page shows, as of ctx.now; `published` holds the bodies a publish
    just computed, by request (normalised path ? query); `run`, the row of the run writing
    the page."""
    bodies = {key: _body(ctx, window, published) for key, window in WINDOWS.items()}
    overview = _overview(ctx)
    return {
        "now": ctx.now,
        "generated_at": generated_at,
        "timezone": ctx.settings.timezone,
        "overview": overview,
        "coder": _coder(ctx, bodies["coder_templates"], bodies["coder_users"]),
        "rocketchat": _rocketchat(ctx, bodies["rocketchat"]),
        "seatable": _seatable(
            ctx,
            bodies["seatable_active"],
            bodies["seatable_users"],
            bodies["seatable_orgs"],
            overview["series"],
        ),
        "openl2m": bodies["openl2m"],
        "health": _health(ctx, run),
    }


def render(data: dict) -> bytes:
    """The page: the template with the data and the drawing script inlined."""
    assets = files(__package__)
    page = assets.joinpath("page.html").read_text()
    script = assets.joinpath("charts.js").read_text()
    payload = orjson.dumps(data, option=orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS).decode()
    # A JSON string can hold "</script>": escaped, it cannot end the script element.
    payload = payload.replace("</", "<\\/")
    return page.replace("/*DATA*/", payload).replace("/*CHARTS*/", script).encode()


def write(folder: Path, data: dict, live: Path | None = None) -> None:
    """The page and plotly.min.js into folder; plotly.min.js is linked from the live
    report set when it holds the same bytes (as it does between runs)."""
    import plotly

    script = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    storage.keep_or_write(
        storage.dashboard_script(live or folder), storage.dashboard_script(folder), script
    )
    storage.write_bytes_atomic(storage.dashboard_page(folder), render(data))
