"""Rocket.Chat api/v1/statistics: entity state as of now, message counts, dates, errors."""

import copy
import shutil
from datetime import UTC, date, datetime

import jsonschema
import pytest

PATH = "api/v1/statistics"
NOW = "2024-06-10T12:00:00Z"
T0 = "2024-05-01T00:00:00Z"


def user(id_, type_="user", active=True, roles=("user",), status=None, updated=T0, **extra):
    record = {
        "_id": id_,
        "username": id_,
        "type": type_,
        "active": active,
        "roles": list(roles),
        "createdAt": T0,
        "_updatedAt": updated,
        **extra,
    }
    if status:
        record["status"] = status
    return record


def room(id_, t, updated=T0, **extra):
    return {"_id": id_, "t": t, "createdAt": T0, "_updatedAt": updated, **extra}


def message(id_, rid, ts, **extra):
    return {"_id": id_, "rid": rid, "ts": ts, "u": {"_id": "u1", "username": "u1"}, **extra}


OS = {
    "type": "Linux",
    "platform": "linux",
    "arch": "x64",
    "release": "6.1",
    "uptime": 5,
    "loadavg": [0.1, 0.2, 0.3],
    "totalmem": 8,
    "freemem": 4,
    "cpus": [],
}
INSTANCE = {
    "uniqueId": "abc",
    "installedAt": "2023-01-02T03:04:05.678Z",
    "version": "6.10.0",
    "createdAt": "2024-06-10T03:00:00Z",
    "os": OS,
    "process": {"nodeVersion": "v20", "pid": 1, "uptime": 2.5},
    "deploy": {"method": "docker", "platform": "selfinstall"},
    "migration": {"_id": "control", "version": 300, "locked": False},
    "instanceCount": 1,
    "mongoVersion": "7.0.12",
    "mongoStorageEngine": "wiredTiger",
    "oplogEnabled": True,
    "msEnabled": False,
    "uploadsTotal": 12,
    "uploadsTotalSize": 3456789,
}
SERVER = ["os", "process", "deploy", "migration", "instanceCount", "mongoVersion"]
SERVER += ["mongoStorageEngine", "oplogEnabled", "msEnabled", "uploadsTotal", "uploadsTotalSize"]


@pytest.fixture(scope="module")  # the tests only ask it
def chat(module_mini):
    return load_chat(module_mini())


def load_chat(m):
    """Users, rooms, messages, subscriptions and statistics records, built."""
    m.add(
        "rocketchat_users",
        [
            user("u1", status="online", lastLogin="2024-06-09T08:00:00.123Z"),
            user("u2", status="online"),
            user(
                "u2", active=False, status="offline", updated="2024-06-05T00:00:00Z"
            ),  # deactivated
            user("u3", type_="bot", status="away"),
            user("u4", roles=("guest",), status="busy"),
            user("u5", federated=True),
            user(
                "u6",
                roles=("guest", "user"),
                status="online",
                lastLogin={"$date": {"$numberLong": "1717920000500"}},
            ),
            user("u7", updated="2024-06-11T00:00:00Z"),  # only exists after now
            # Deleted: Rocket.Chat's trash holds the user's last version with _deletedAt.
            user("u8", status="online", lastLogin="2024-06-09T23:00:00Z"),
            user(
                "u8",
                status="online",
                lastLogin="2024-06-09T23:00:00Z",
                _deletedAt={"$date": "2024-06-10T01:00:00Z"},
            ),
            user("u9", status="away", _deletedAt="2024-06-10T18:00:00Z"),  # deleted after now
        ],
    )
    m.add(
        "rocketchat_rooms",
        [
            room("rc", "c"),
            room("rp", "p"),
            room("rd", "d"),
            room("rl", "l"),
            room("rdel", "c"),
            room("rdel", "c", updated="2024-06-08T00:00:00Z", _deletedAt="2024-06-08T00:00:00Z"),
            room("rdisc", "p", prid="rc"),
        ],
    )
    m.add(
        "rocketchat_messages",
        [
            message("m1", "rc", "2024-06-01T10:00:00Z"),
            message("m2", "rc", "2024-06-02T10:00:00Z", t="uj"),
            message("m3", "rp", "2024-06-03T10:00:00Z", _hidden=True),
            message("m4", "rd", "2024-06-10T11:00:00Z"),
            message("m5", "rl", "2024-06-04T10:00:00Z"),
            message("m6", "rdel", "2024-06-04T10:00:00Z"),  # its room is deleted
            message("m7", "rc", "2024-06-10T13:00:00Z"),  # after now
            message("m8", "rdisc", {"$date": "2024-06-06T10:00:00.250Z"}),
            message("m9", "rc", "2024-06-10T11:30:00.777Z", t="ru"),  # system: the last message
            message("m10", "rc", "2024-06-05T10:00:00Z", _deletedAt="2024-06-05T11:00:00Z"),
        ],
    )
    m.add(
        "rocketchat_subscriptions",
        [
            {
                "_id": "s1",
                "rid": "rc",
                "u": {"_id": "u1"},
                "ls": "2024-06-09T10:00:00Z",
                "_updatedAt": "2024-06-09T10:00:00Z",
            },
            {
                "_id": "s2",
                "rid": "rc",
                "u": {"_id": "u2"},
                "ls": "2024-06-10T13:00:00Z",
                "_updatedAt": "2024-06-10T13:00:00Z",
            },
            {"_id": "s3", "rid": "rp", "u": {"_id": "u3"}, "_updatedAt": "2024-06-01T00:00:00Z"},
            # Deleted (the trash copy of its last version): its last seen is not the latest.
            *(
                {
                    "_id": "s4",
                    "rid": "rp",
                    "u": {"_id": "u1"},
                    "ls": "2024-06-09T11:00:00Z",
                    "_updatedAt": "2024-06-09T11:00:00Z",
                    **deleted,
                }
                for deleted in ({}, {"_deletedAt": "2024-06-09T12:00:00Z"})
            ),
        ],
    )
    m.add(
        "rocketchat_statistics",
        [INSTANCE, {**INSTANCE, "createdAt": "2024-06-11T00:00:00Z", "version": "7.0.0"}],
    )
    m.build()
    return m


def test_statistics_as_of_now(chat):
    status, body = chat.call(PATH, NOW)
    assert status == 200
    stats = body.pop("statistics")
    assert body == {"success": True}
    assert len(stats.pop("_id")) == 17
    assert (
        stats
        == {
            "uniqueId": "abc",
            "installedAt": "2023-01-02T03:04:05.678Z",
            "version": "6.10.0",
            "totalUsers": 7,  # not u7 (later), u8 (deleted)
            "activeUsers": 3,  # u1, u6 (guest plus another role), u9; u2 deactivated, u3 bot, u4 guest, u5 federated
            "nonActiveUsers": 1,
            "onlineUsers": 2,
            "awayUsers": 2,
            "busyUsers": 1,
            "offlineUsers": 2,
            "totalRooms": 5,  # rdel is deleted
            "totalChannels": 1,
            "totalPrivateGroups": 2,
            "totalDirect": 1,
            "totalLivechat": 1,
            "totlalLivechat": 1,
            "totalMessages": 4,  # m1, m4, m5, m8
            "totalChannelMessages": 1,
            "totalPrivateGroupMessages": 1,
            "totalDirectMessages": 1,
            "totalLivechatMessages": 1,
            "lastLogin": "2024-06-09T08:00:00.500Z",
            "lastMessageSentAt": "2024-06-10T11:30:00.777Z",
            "lastSeenSubscription": "2024-06-09T10:00:00.000Z",
            "os": OS,
            "process": {"nodeVersion": "v20", "pid": 1, "uptime": 2.5},
            "deploy": {"method": "docker", "platform": "selfinstall"},
            "migration": {"_id": "control", "version": 300, "locked": False},
            "instanceCount": 1,
            "createdAt": "2024-06-10T12:00:00.000Z",
            "_updatedAt": "2024-06-10T12:00:00.000Z",
        }
    )


def test_refresh_values_and_stable_id(chat):
    first = chat.call(f"{PATH}?refresh=true", NOW)
    assert first == chat.call(f"{PATH}?refresh=false", NOW)
    assert first[0] == 200


def test_statistics_settle_after_the_last_record(chat):
    """From the latest instant the records name (u7's version, the second statistics
    record, the midnight after the last day of messages: 2024-06-11) the report answers the
    same: a session answers later instants from that row; before it the report runs."""
    from pipelines.endpoints import rocketchat
    from pipelines.endpoints.base import open_session, query_rows

    con = open_session(chat.wh, held=True)
    try:
        held = rocketchat.SettledStatistics.read(con)
        settled_at, settled = held.settled_at, held.row
        assert settled_at == datetime(2024, 6, 11, tzinfo=UTC)
        for now in ["2024-06-11T00:00:00Z", "2024-06-11T00:00:00.000001Z", "2099-12-31T23:59:59Z"]:
            (row,) = query_rows(
                con, "rpt_rocketchat_statistics", {"now": datetime.fromisoformat(now)}
            )
            assert row == settled
        before = datetime(2024, 6, 10, 23, 59, 59, 999999, tzinfo=UTC)
        (row,) = query_rows(con, "rpt_rocketchat_statistics", {"now": before})
        assert row["total_users"] == settled["total_users"] - 1  # u7 not yet
    finally:
        con.close()


def test_nothing_yet_omits_dates_and_instance(mini):
    m = mini()
    m.build()
    status, body = m.call(PATH, NOW)
    assert status == 200
    assert list(body["statistics"])[:3] == ["_id", "totalUsers", "activeUsers"]
    assert "lastLogin" not in body["statistics"] and "os" not in body["statistics"]


@pytest.mark.parametrize("query", ["refresh=yes", "refresh=True", "count=1", "refresh=true&x=1"])
def test_invalid_parameters(chat, query):
    assert chat.call(f"{PATH}?{query}", NOW) == (
        400,
        {"success": False, "error": "Invalid query parameters"},
    )


# ------------------------------------------------ flows.yaml rocketchat_statistics: current


def answered_as(m, setting: str):
    """The warehouse of m, answered with the given rocketchat_statistics body."""
    other = copy.copy(m)
    other.settings = m.settings.model_copy(update={"rocketchat_statistics": setting})
    return other


@pytest.fixture(scope="module")
def current_chat(tmp_path_factory):
    """chat, plus what only today's body tells apart: an app user, a remote user, languages,
    a discussion in a channel, a team, a VoIP room, threads and the system messages that
    Rocket.Chat 8.x counts by type (two of them on the day of now); answered as `current`.
    One for the module: its tests only read it."""
    from pipelines.config import Settings
    from tests.conftest import MiniWarehouse

    chat = load_chat(MiniWarehouse(tmp_path_factory.mktemp("chat"), Settings()))
    chat.add(
        "rocketchat_users",
        [
            user("u10", type_="app", roles=("app",), language="de"),
            user("u11", roles=("livechat-agent",), status="online", isRemote=True, language="en"),
            user(
                "u12",
                roles=("user", "livechat-agent", "livechat-manager"),
                status="away",
                language="",
            ),
        ],
    )
    chat.add(
        "rocketchat_rooms",
        [room("rdc", "c", prid="rc"), room("rteam", "c", teamMain=True), room("rv", "v")],
    )
    chat.add(
        "rocketchat_messages",
        [
            message("m11", "rdc", "2024-06-07T10:00:00Z"),
            message("m12", "rc", "2024-06-08T10:00:00Z", tcount=2),
            message("m13", "rc", "2024-06-08T10:05:00Z", tmid="m12"),
            message("m14", "rd", "2024-06-09T10:00:00Z", t="e2e"),
            message("m15", "rl", "2024-06-09T11:00:00Z", t="omnichannel_placed_chat_on_hold"),
            message("m16", "rv", "2024-06-09T12:00:00Z", t="voip-call-wrapup"),
            message("m18", "rv", "2024-06-09T12:30:00Z", t="voip-call-ended-unexpectedly"),
            message("m17", "rv", "2024-06-10T11:10:00Z", t="voip-call-on-hold"),
            message("m19", "rc", "2024-06-10T11:20:00Z", tcount=1),
        ],
    )
    chat.build()
    return answered_as(chat, "current")


def test_current_body_is_istats_flat_with_success(current_chat):
    from pipelines.endpoints.rocketchat_istats import ISTATS

    status, body = current_chat.call(PATH, NOW)
    assert status == 200
    optional_left_out = {"tag", "branch", "statsToken", "abacEnabled", "abacTotalAttributes"}
    optional_left_out |= {"abacTotalAttributeValues", "abacRoomsEnrolled", "fips"}
    optional_left_out |= {"allowUnsafeQueryAndFieldsApiParamsEnabled"}
    assert list(body) == [
        "_id",
        *(key for key in ISTATS if key not in optional_left_out),
        "_updatedAt",
        "success",
    ]
    assert body["success"] is True and len(body["_id"]) == 17
    assert "totlalLivechat" not in body and "statistics" not in body


def test_current_body_counts_as_rocket_chat_8_does(current_chat):
    status, body = current_chat.call(PATH, NOW)
    assert {key: body[key] for key in COUNTED} == {
        "uniqueId": "abc",
        "installedAt": "2023-01-02T03:04:05.678Z",
        "version": "6.10.0",
        "totalUsers": 10,  # the 7 of chat, u10, u11, u12
        "activeUsers": 4,  # u1, u6, u9, u12; not u10 (app), u11 (remote)
        "activeGuests": 1,  # u4: roles exactly ["guest"]
        "nonActiveUsers": 1,
        "appUsers": 1,  # u10
        "onlineUsers": 3,  # u1, u6, u11
        "awayUsers": 3,  # u3, u9, u12
        "busyUsers": 1,
        "totalConnectedUsers": 6,  # online + away
        "offlineUsers": 3,  # u2, u5, u10
        "userLanguages": {"none": 8, "de": 1, "en": 1},  # u12's "" counts as none
        "totalRooms": 8,
        "totalChannels": 3,  # rc, rdc, rteam
        "totalPrivateGroups": 2,  # rp, rdisc
        "totalDirect": 1,
        "totalLivechat": 1,
        "totalDiscussions": 2,  # rdisc, rdc
        "totalThreads": 2,  # m12, m19 (today)
        "teams": {"totalTeams": 1, "totalRoomsInsideTeams": 0, "totalDefaultRoomsInsideTeams": 0},
        "totalLivechatAgents": 2,  # u11, u12
        "totalLivechatManagers": 1,  # u12
        # Discussions' messages apart: rc m1, m12, m13, m19; rdisc m8 and rdc m11.
        "totalChannelMessages": 4,
        "totalPrivateGroupMessages": 0,  # rp's m3 is hidden
        "totalDirectMessages": 1,  # m4; m14 is encrypted (a type)
        "totalDiscussionsMessages": 2,
        "totalLivechatMessages": 1,
        "totalMessages": 8,
        "federatedUsers": 1,  # u11 (isRemote); u5 is federated, not remote
        "lastLogin": "Sun Jun 09 2024 08:00:00 GMT+0000 (Coordinated Universal Time)",
        "lastMessageSentAt": "2024-06-10T11:30:00.777Z",
        "lastSeenSubscription": "Sun Jun 09 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
        # The statistics record's, passed through.
        **{key: INSTANCE[key] for key in SERVER},
        "chatsOnHold": 1,  # rooms: rl
        "voipCalls": 1,  # rooms of type v
        "voipSuccessfulCalls": 1,
        "voipErrorCalls": 1,
        "voipOnHoldCalls": 1,  # rooms: rv (its message today)
        "federationOverviewData": {
            "numberOfEvents": 0,
            "numberOfFederatedUsers": 1,
            "numberOfServers": 0,
        },
        "totalEncryptedMessages": 1,
        "createdAt": "2024-06-10T12:00:00.000Z",
        "_updatedAt": "2024-06-10T12:00:00.000Z",
    }


COUNTED = [
    "uniqueId",
    "installedAt",
    "version",
    "totalUsers",
    "activeUsers",
    "activeGuests",
    "nonActiveUsers",
    "appUsers",
    "onlineUsers",
    "awayUsers",
    "busyUsers",
    "totalConnectedUsers",
    "offlineUsers",
    "userLanguages",
    "totalRooms",
    "totalChannels",
    "totalPrivateGroups",
    "totalDirect",
    "totalLivechat",
    "totalDiscussions",
    "totalThreads",
    "teams",
    "totalLivechatAgents",
    "totalLivechatManagers",
    "totalChannelMessages",
    "totalPrivateGroupMessages",
    "totalDirectMessages",
    "totalDiscussionsMessages",
    "totalLivechatMessages",
    "totalMessages",
    "federatedUsers",
    "lastLogin",
    "lastMessageSentAt",
    "lastSeenSubscription",
    *SERVER,
    "chatsOnHold",
    "voipCalls",
    "voipSuccessfulCalls",
    "voipErrorCalls",
    "voipOnHoldCalls",
    "federationOverviewData",
    "totalEncryptedMessages",
    "createdAt",
    "_updatedAt",
]


def test_current_body_of_nothing_holds_neutral_values(mini):
    from pipelines.endpoints.rocketchat_istats import ISTATS

    m = mini(rocketchat_statistics="current")
    m.build()
    status, body = m.call(PATH, NOW)
    assert status == 200
    neutral = {k: v for k, v in ISTATS.items() if v is not None}
    del body["_id"]
    assert body == {
        **neutral,
        "createdAt": "2024-06-10T12:00:00.000Z",
        "_updatedAt": "2024-06-10T12:00:00.000Z",
        "success": True,
    }
    assert (body["uniqueId"], body["lastLogin"], body["userLanguages"]) == ("", "", {"none": 0})


def test_every_field_not_counted_is_documented_as_unknowable():
    """docs/sources/rocketchat.md names every IStats field the current body cannot know."""
    from pathlib import Path

    from pipelines.endpoints.rocketchat_istats import ISTATS

    docs = (Path(__file__).parent.parent / "docs" / "sources" / "rocketchat.md").read_text()
    unknowable = [key for key in ISTATS if key not in COUNTED]
    assert [key for key in unknowable if f"`{key}`" not in docs] == []


def test_the_seed_body_is_the_default_and_unchanged_by_the_extra_records(current_chat):
    """The records only today's body reads leave the seed body's fields as the contract
    counts them: every channel and group message, discussions included."""
    status, body = answered_as(current_chat, "seed").call(PATH, NOW)
    stats = body["statistics"]
    assert (stats["totalChannelMessages"], stats["totalPrivateGroupMessages"]) == (5, 1)
    assert stats["totalMessages"] == 8 and "totalDiscussions" not in stats


def test_serve_answers_what_the_setting_says(current_chat):
    from fastapi.testclient import TestClient

    from pipelines.serve import make_app

    client = TestClient(make_app(current_chat.settings, current_chat.wh, {}))
    body = client.get(PATH).json()
    assert body["success"] is True and "totalDiscussionsMessages" in body
    # ... and as the OpenAPI description serve publishes says (what Schemathesis fuzzes by).
    described = client.get("/openapi.json").json()["paths"][f"/{PATH}"]["get"]["responses"]
    jsonschema.validate(body, described["200"]["content"]["application/json"]["schema"])


def test_current_bodies_type_check_against_rocket_chat_8(current_chat, tmp_path_factory):
    """Every `current` body the suite publishes (these, and a nightly run's published file)
    is a Serialized<IStats> answer with success: true for TypeScript's compiler in strict
    mode, against Rocket.Chat's own packages (tests/typecheck/rocketchat); the seed body,
    and a current one with the misspelt key, are not."""
    from pipelines.config import Settings
    from tests.conftest import MiniWarehouse
    from tests.typescript import assert_bodies_type_check

    empty = MiniWarehouse(
        tmp_path_factory.mktemp("empty"), Settings(rocketchat_statistics="current")
    )
    empty.build()
    bodies = {
        "counted": current_chat.call(PATH, NOW)[1],
        "nothing": empty.call(PATH, NOW)[1],
        "published": published_current_body(tmp_path_factory.mktemp("nightly")),
    }
    counted = bodies["counted"]
    refused = {
        "seed": answered_as(current_chat, "seed").call(PATH, NOW)[1],
        "misspelt": {**counted, "totlalLivechat": counted["totalLivechat"]},
    }
    assert_bodies_type_check("rocketchat", "StatisticsBody", bodies, refused)


def published_current_body(root) -> dict:
    """The latest.json a nightly run publishes under `current`, from a generated tree."""
    import orjson

    from pipelines import pipeline, storage
    from pipelines.generate import generate
    from tests.conftest import repo_settings

    generate(root / "raw", 3, date(2024, 6, 7), "small", 7)
    for source in ("coder", "seatable", "openl2m"):
        shutil.rmtree(root / "raw" / source)
    settings = repo_settings(rocketchat_statistics="current")
    wh = storage.Warehouse(root / "wh")
    summary = pipeline.run_nightly(settings, wh, root / "raw", datetime(2024, 6, 10, 6, tzinfo=UTC))
    assert summary.status == "ok"
    return orjson.loads((wh.reports / "api/v1/statistics/latest.json").read_bytes())
