"""Rocket.Chat api/v1/statistics: entity state as of now, message counts, dates, errors."""

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
}


@pytest.fixture
def chat(mini):
    m = mini()
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
