"""Rocket.Chat statistics endpoint."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson

from pipelines.endpoints.base import Context, Query, Refused, Response, rows


def _refused() -> Refused:
    """Rocket.Chat's one answer to any unexpected query parameter or value."""
    return Refused(400, {"success": False, "error": "Invalid query parameters"})


def iso_ms(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as Rocket.Chat's Mongo dates serialise."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def statistics(ctx: Context, query: Query) -> Response:
    """GET api/v1/statistics?refresh=true|false: server statistics as of now."""
    if any(name != "refresh" for name in query.names()):
        raise _refused()
    if query.get("refresh", "false") not in ("true", "false"):
        raise _refused()
    (r,) = rows(ctx, "rpt_rocketchat_statistics", {"now": ctx.now})
    messages = [r["channel"], r["private_group"], r["direct"], r["livechat"]]
    statuses = r["online_users"] + r["away_users"] + r["busy_users"]
    now = iso_ms(ctx.now)
    instance = r["unique_id"] is not None
    stats: dict[str, object] = {
        # Stable for the same server and instant: re-runs publish identical files.
        "_id": hashlib.sha256(f"{r['unique_id']}|{now}".encode()).hexdigest()[:17],
    }
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
        stats |= {key: orjson.loads(r[key]) for key in ("os", "process", "deploy", "migration")}
        stats["instanceCount"] = r["instance_count"]
    stats |= {"createdAt": now, "_updatedAt": now}
    return 200, {"statistics": stats, "success": True}


ROUTES = {"api/v1/statistics": statistics}
