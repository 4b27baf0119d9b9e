"""Today's Rocket.Chat api/v1/statistics body (flows.yaml `rocketchat_statistics: current`):
what Rocket.Chat 8.x answers, `API.v1.success(<the statistics document>)`: the fields of
IStats (@rocket.chat/core-typings 8.8.1) at the top level, as JSON has them
(`Serialized<IStats>`: dates as ISO strings), and `success: true`.

What the records tell is computed as Rocket.Chat's statistics.ts computes it; every other
field holds the neutral value of its type (docs/sources/rocketchat.md says why each cannot
be known). tests/test_rocketchat_typecheck.py type-checks the bodies with TypeScript's
compiler against Rocket.Chat's own packages.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import orjson

NO_SESSIONS = {"year": 0, "month": 0, "day": 0, "data": []}
NO_CONTACTS = {"contactsCount": 0, "conversationsCount": 0, "sources": []}
NOT_IN_RECORDS = None  # an optional IStats field the records cannot fill: left out

# Every field of IStats in its declared order, with the neutral value of its type. The
# body is this with what the records tell put in (`known` below): the fields left at
# these values are the ones docs/sources/rocketchat.md lists as unknowable.
ISTATS: dict[str, object] = {
    "wizard": {},
    "uniqueId": "",
    "deploymentFingerprintHash": "",
    "deploymentFingerprintVerified": False,
    "installedAt": NOT_IN_RECORDS,
    "version": NOT_IN_RECORDS,
    "tag": NOT_IN_RECORDS,
    "branch": NOT_IN_RECORDS,
    "totalUsers": 0,
    "activeUsers": 0,
    "activeGuests": 0,
    "nonActiveUsers": 0,
    "appUsers": 0,
    "onlineUsers": 0,
    "awayUsers": 0,
    "busyUsers": 0,
    "totalConnectedUsers": 0,
    "offlineUsers": 0,
    "userLanguages": {"none": 0},
    "totalRooms": 0,
    "totalChannels": 0,
    "totalPrivateGroups": 0,
    "totalDirect": 0,
    "totalLivechat": 0,
    "totalDiscussions": 0,
    "totalThreads": 0,
    "teams": {"totalTeams": 0, "totalRoomsInsideTeams": 0, "totalDefaultRoomsInsideTeams": 0},
    "totalLivechatVisitors": 0,
    "totalLivechatAgents": 0,
    "totalLivechatManagers": 0,
    "totalCustomFields": 0,
    "totalLivechatPublicCustomFields": 0,
    "livechatAutomaticForwardingUnansweredChats": False,
    "livechatEnabled": False,
    "isDepartmentRemovalEnabled": False,
    "totalChannelMessages": 0,
    "totalPrivateGroupMessages": 0,
    "totalDirectMessages": 0,
    "totalDiscussionsMessages": 0,
    "totalLivechatMessages": 0,
    "totalLivechatRoomsWithPriority": 0,
    "totalLivechatRoomsWithDepartment": 0,
    "totalTriggers": 0,
    "totalMessages": 0,
    "federatedServers": 0,
    "federatedUsers": 0,
    "lastLogin": "",
    # Date | undefined, a key the type requires: Rocket.Chat leaves it out of its JSON when
    # there is no message at all; "" keeps the body of the type.
    "lastMessageSentAt": "",
    "lastSeenSubscription": "",
    "os": {
        "type": "",
        "platform": "linux",  # a member of NodeJS.Platform: the type has no empty value
        "arch": "",
        "release": "",
        "uptime": 0,
        "loadavg": [],
        "totalmem": 0,
        "freemem": 0,
        "cpus": [],
    },
    "process": {"nodeVersion": "", "pid": 0, "uptime": 0},
    "deploy": {"method": "", "platform": ""},
    "enterpriseReady": True,  # a constant of Rocket.Chat's code, not a measurement
    "uploadsTotal": 0,
    "uploadsTotalSize": 0,
    "fileStoreType": "",
    "migration": {"locked": False, "version": 0},
    "instanceCount": 0,
    "oplogEnabled": False,
    "msEnabled": False,
    "mongoVersion": "",
    "mongoStorageEngine": "",
    "pushQueue": 0,
    "omnichannelSources": [],
    "omnichannelContactsBySource": NO_CONTACTS,
    "uniqueContactsOfLastMonth": NO_CONTACTS,
    "uniqueContactsOfLastWeek": NO_CONTACTS,
    "uniqueContactsOfYesterday": NO_CONTACTS,
    "departments": 0,
    "archivedDepartments": 0,
    "routingAlgorithm": "",
    "onHoldEnabled": False,
    "emailInboxes": 0,
    "BusinessHours": {"total": 0, "strategy": ""},
    "lastChattedAgentPreferred": False,
    "assignNewConversationsToContactManager": False,
    "visitorAbandonment": "",
    "chatsOnHold": 0,
    "voipEnabled": False,
    "voipCalls": 0,
    "voipExtensions": 0,
    "voipSuccessfulCalls": 0,
    "voipErrorCalls": 0,
    "voipOnHoldCalls": 0,
    "federationOverviewData": {
        "numberOfEvents": 0,
        "numberOfFederatedUsers": 0,
        "numberOfServers": 0,
    },
    "readReceiptsEnabled": False,
    "readReceiptsDetailed": False,
    "uniqueUsersOfLastWeek": NO_SESSIONS,
    "uniqueUsersOfLastMonth": NO_SESSIONS,
    "uniqueUsersOfYesterday": NO_SESSIONS,
    "uniqueDevicesOfYesterday": NO_SESSIONS,
    "uniqueDevicesOfLastWeek": NO_SESSIONS,
    "uniqueDevicesOfLastMonth": NO_SESSIONS,
    "uniqueOSOfYesterday": NO_SESSIONS,
    "uniqueOSOfLastWeek": NO_SESSIONS,
    "uniqueOSOfLastMonth": NO_SESSIONS,
    "apps": {
        "engineVersion": "",
        "totalInstalled": False,
        "totalActive": False,
        "totalFailed": False,
    },
    "services": {},
    "importer": {},
    "settings": {},
    "integrations": {
        "totalIntegrations": 0,
        "totalIncoming": 0,
        "totalIncomingActive": 0,
        "totalOutgoing": 0,
        "totalOutgoingActive": 0,
        "totalWithScriptEnabled": 0,
    },
    "enterprise": {"modules": [], "tags": [], "seatRequests": 0},
    "createdAt": "",
    "slashCommandsJitsi": 0,
    "messageAuditApply": 0,
    "messageAuditLoad": 0,
    "dashboardCount": 0,
    "joinJitsiButton": 0,
    "totalBroadcastRooms": 0,
    "totalTriggeredEmails": 0,
    "totalRoomsWithStarred": 0,
    "totalRoomsWithPinned": 0,
    "totalUserEmail2fa": 0,
    "totalUserTOTP": 0,
    "totalStarred": 0,
    "totalPinned": 0,
    "totalLinkInvitation": 0,
    "totalEmailInvitation": 0,
    "totalE2ERooms": 0,
    "logoChange": False,
    "homeTitleChanged": False,
    "homeBodyChanged": False,
    "customCSSChanged": False,
    "onLogoutCustomScriptChanged": False,
    "loggedOutCustomScriptChanged": False,
    "loggedInCustomScriptChanged": False,
    "roomsInsideTeams": 0,
    "showHomeButton": False,
    "totalEncryptedMessages": 0,
    "totalLinkInvitationUses": 0,
    "totalManuallyAddedUsers": 0,
    "videoConf": {
        "videoConference": {"started": 0, "ended": 0},
        "direct": {"calling": 0, "started": 0, "ended": 0},
        "livechat": {"started": 0, "ended": 0},
        "settings": {
            "provider": "",
            "dms": False,
            "channels": False,
            "groups": False,
            "teams": False,
        },
    },
    "totalSubscriptionRoles": 0,
    "totalUserRoles": 0,
    "totalCustomRoles": 0,
    "totalWebRTCCalls": 0,
    "uncaughtExceptionsCount": 0,
    "push": 0,
    "pushSecured": False,
    "dailyPeakConnections": 0,
    "maxMonthlyPeakConnections": 0,
    "matrixFederation": {
        "enabled": False,
        "maximumSizeOfPublicRoomsUsers": 0,
        "biggestRoom": None,
        "smallestRoom": None,
        "amountOfExternalUsers": 0,
        "amountOfFederatedRooms": 0,
        "externalConnectedServers": {"quantity": 0, "servers": []},
    },
    "webRTCEnabled": False,
    "webRTCEnabledForOmnichannel": False,
    "omnichannelWebRTCCalls": 0,
    "statsToken": NOT_IN_RECORDS,
    "contactVerification": {
        "totalContacts": 0,
        "totalUnknownContacts": 0,
        "totalMergedContacts": 0,
        "totalConflicts": 0,
        "totalResolvedConflicts": 0,
        "totalBlockedContacts": 0,
        "totalPartiallyBlockedContacts": 0,
        "totalFullyBlockedContacts": 0,
        "totalVerifiedContacts": 0,
        "avgChannelsPerContact": 0,
        "totalContactsWithoutChannels": 0,
        "totalImportedContacts": 0,
        "totalUpsellViews": 0,
        "totalUpsellClicks": 0,
    },
    "abacEnabled": NOT_IN_RECORDS,
    "abacTotalAttributes": NOT_IN_RECORDS,
    "abacTotalAttributeValues": NOT_IN_RECORDS,
    "abacRoomsEnrolled": NOT_IN_RECORDS,
    "allowUnsafeQueryAndFieldsApiParamsEnabled": NOT_IN_RECORDS,
    "fips": NOT_IN_RECORDS,
}


def iso_ms(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as JSON has a Date of Rocket.Chat's."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


SERVER_JSON = ("os", "process", "deploy", "migration")  # JSON of the statistics record
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def js_date_string(moment: datetime | None) -> str:
    """JavaScript's `Date.prototype.toString()` of an instant on a server in UTC, or "" for
    none: Rocket.Chat 8.x stores lastLogin and lastSeenSubscription as
    `(await Users.getLastLogin())?.toString() || ''` (statistics.ts), not as ISO dates."""
    if moment is None:
        return ""
    t = moment.astimezone(UTC)
    return (
        f"{WEEKDAYS[t.weekday()]} {MONTHS[t.month - 1]} {t.day:02d} {t.year:04d} "
        f"{t:%H:%M:%S} GMT+0000 (Coordinated Universal Time)"
    )


def known(r: dict) -> dict[str, object]:
    """The IStats fields the records tell, from the row of rpt_rocketchat_statistics;
    None where they hold nothing this time (the field keeps its neutral value)."""
    statuses = r["online_users"] + r["away_users"] + r["busy_users"]
    channel = r["channel"] - r["channel_discussion"]
    private_group = r["private_group"] - r["private_group_discussion"]
    discussions = r["channel_discussion"] + r["private_group_discussion"]
    languages = {row["language"]: row["users"] for row in r["languages"]}
    return {
        "uniqueId": r["unique_id"] or "",
        "installedAt": iso_ms(r["installed_at"]),
        "version": r["version"],
        "totalUsers": r["total_users"],
        "activeUsers": r["active_users"],
        "activeGuests": r["active_guests"],
        "nonActiveUsers": r["non_active_users"],
        "appUsers": r["app_users"],
        "onlineUsers": r["online_users"],
        "awayUsers": r["away_users"],
        "busyUsers": r["busy_users"],
        "totalConnectedUsers": r["online_users"] + r["away_users"],
        "offlineUsers": r["total_users"] - statuses,
        # Users without a language count as "none" (statistics.ts getUserLanguages).
        "userLanguages": {"none": r["total_users"] - sum(languages.values()), **languages},
        "totalRooms": r["total_rooms"],
        "totalChannels": r["total_channels"],
        "totalPrivateGroups": r["total_private_groups"],
        "totalDirect": r["total_direct"],
        "totalLivechat": r["total_livechat"],
        "totalDiscussions": r["total_discussions"],
        "totalThreads": int(r["threads"]),
        "teams": {**ISTATS["teams"], "totalTeams": r["total_teams"]},
        "totalLivechatAgents": r["livechat_agents"],
        "totalLivechatManagers": r["livechat_managers"],
        # A discussion's messages are counted apart from its channel's or group's.
        "totalChannelMessages": int(channel),
        "totalPrivateGroupMessages": int(private_group),
        "totalDirectMessages": int(r["direct"]),
        "totalDiscussionsMessages": int(discussions),
        "totalLivechatMessages": int(r["livechat"]),
        "totalMessages": int(channel + private_group + discussions + r["direct"] + r["livechat"]),
        "federatedUsers": r["remote_users"],
        "lastLogin": js_date_string(r["last_login_at"]),
        "lastMessageSentAt": iso_ms(r["last_message_at"]),
        "lastSeenSubscription": js_date_string(r["last_seen_at"]),
        # The latest statistics record's, as in the seed body.
        **{key: orjson.loads(r[key]) for key in SERVER_JSON if r[key] is not None},
        "instanceCount": r["instance_count"],
        # The statistics record's, when its export carries them (the Workspace page's).
        "uploadsTotal": r["count_uploads"],
        "uploadsTotalSize": r["uploads_bytes"],
        "oplogEnabled": r["is_oplog_enabled"],
        "msEnabled": r["is_microservices"],
        "mongoVersion": r["mongo_version"],
        "mongoStorageEngine": r["mongo_storage_engine"],
        "chatsOnHold": r["rooms_with_chats_on_hold"],
        "voipCalls": r["total_voip"],
        "voipSuccessfulCalls": int(r["voip_wrapups"]),
        "voipErrorCalls": int(r["voip_errors"]),
        "voipOnHoldCalls": r["rooms_with_voip_on_hold"],
        "federationOverviewData": {
            **ISTATS["federationOverviewData"],
            "numberOfFederatedUsers": r["remote_users"],
        },
        "totalEncryptedMessages": int(r["e2e_messages"]),
    }


def current_body(r: dict, stats_id: str, now: datetime) -> dict:
    """The body: `_id`, IStats in its declared order (createdAt: now), `_updatedAt`, and
    `success: true`."""
    filled = copy.deepcopy(ISTATS) | {k: v for k, v in known(r).items() if v is not None}
    filled["createdAt"] = iso_ms(now)
    return {
        "_id": stats_id,
        **{key: value for key, value in filled.items() if value is not NOT_IN_RECORDS},
        "_updatedAt": iso_ms(now),
        "success": True,
    }
