"""Rocket.Chat statistics endpoint: the contract's 0.x body (`seed`) or today's
(`current`, rocketchat_istats.py), as flows.yaml `rocketchat_statistics` says."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb
import orjson

from pipelines.endpoints.base import (
    Context,
    Query,
    Refused,
    Response,
    held,
    query_rows,
    report_sql,
    rows,
)
from pipelines.endpoints.rocketchat_istats import SERVER_JSON, current_body, iso_ms


def _refused() -> Refused:
    """Rocket.Chat's one answer to any unexpected query parameter or value."""
    return Refused(400, {"success": False, "error": "Invalid query parameters"})


def statistics(ctx: Context, query: Query) -> Response:
    """GET api/v1/statistics?refresh=true|false: server statistics as of now."""
    if any(name != "refresh" for name in query.names()):
        raise _refused()
    if query.get("refresh", "false") not in ("true", "false"):
        raise _refused()
    settled = held(ctx, SETTLED, SettledStatistics.read)
    if ctx.now >= settled.settled_at:
        r = settled.row
    else:
        (r,) = rows(ctx, "rpt_rocketchat_statistics", {"now": ctx.now})
    # Stable for the same server and instant: re-runs publish identical files.
    stats_id = hashlib.sha256(f"{r['unique_id']}|{iso_ms(ctx.now)}".encode()).hexdigest()[:17]
    if ctx.settings.rocketchat_statistics == "current":
        return 200, current_body(r, stats_id, ctx.now)
    return 200, {"statistics": seed_statistics(r, stats_id, iso_ms(ctx.now)), "success": True}


SETTLED = "rocketchat_statistics_settled"  # its name among what a session holds (base.held)


@dataclass(frozen=True)
class SettledStatistics:
    """The instant from which the statistics no longer change (the latest instant the
    records name, past the last day of messages) and the statistics' row as of it: the
    answer's numbers as of any later instant, the usual one (a run's records end before
    the instant a request is answered as of). A request as of an earlier instant runs
    the report itself."""

    settled_at: datetime
    row: dict

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> SettledStatistics:
        ((settled_at,),) = con.execute(
            report_sql("rpt_rocketchat_statistics_settled_held")
        ).fetchall()
        (row,) = query_rows(con, "rpt_rocketchat_statistics", {"now": settled_at})
        return cls(settled_at, row)


def seed_statistics(r: dict, stats_id: str, now: str) -> dict:
    """The contract's body (Rocket.Chat 0.x, endpoints.md): its `statistics` object."""
    messages = [r["channel"], r["private_group"], r["direct"], r["livechat"]]
    statuses = r["online_users"] + r["away_users"] + r["busy_users"]
    instance = r["unique_id"] is not None
    stats: dict[str, object] = {"_id": stats_id}
    if instance:
        stats |= {
            "uniqueId": r["unique_id"],
            "installedAt": iso_ms(r["installed_at"]),
            "version": r["version"],
        }
    stats |= {
        "totalUsers": r["total_users"],
        "activeUsers": r["active_users"],
        "nonActiveUsers": r["non_active_users"],
        "onlineUsers": r["online_users"],
        "awayUsers": r["away_users"],
        "busyUsers": r["busy_users"],
        "offlineUsers": r["total_users"] - statuses,
        "totalRooms": r["total_rooms"],
        "totalChannels": r["total_channels"],
        "totalPrivateGroups": r["total_private_groups"],
        "totalDirect": r["total_direct"],
        "totalLivechat": r["total_livechat"],
        "totlalLivechat": r["total_livechat"],  # the misspelt key older clients read
        "totalMessages": int(sum(messages)),
        "totalChannelMessages": int(messages[0]),
        "totalPrivateGroupMessages": int(messages[1]),
        "totalDirectMessages": int(messages[2]),
        "totalLivechatMessages": int(messages[3]),
    }
    for key, column in [
        ("lastLogin", "last_login_at"),
        ("lastMessageSentAt", "last_message_at"),
        ("lastSeenSubscription", "last_seen_at"),
    ]:
        if r[column] is not None:
            stats[key] = iso_ms(r[column])
    if instance:
        stats |= {key: orjson.loads(r[key]) for key in SERVER_JSON}
        stats["instanceCount"] = r["instance_count"]
    stats |= {"createdAt": now, "_updatedAt": now}
    return stats


ROUTES = {"api/v1/statistics": statistics}
