"""Rocket.Chat statistics endpoint: the contract's 0.x body (`seed`) or today's
(`current`, rocketchat_istats.py), as flows.yaml `rocketchat_statistics` says."""

from __future__ import annotations

import hashlib

import orjson

from pipelines.endpoints.base import Context, Query, Refused, Response, rows
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
    (r,) = rows(ctx, "rpt_rocketchat_statistics", {"now": ctx.now})
    # Stable for the same server and instant: re-runs publish identical files.
    stats_id = hashlib.sha256(f"{r['unique_id']}|{iso_ms(ctx.now)}".encode()).hexdigest()[:17]
    if ctx.settings.rocketchat_statistics == "current":
        return 200, current_body(r, stats_id, ctx.now)
    return 200, {"statistics": seed_statistics(r, stats_id, iso_ms(ctx.now)), "success": True}


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
