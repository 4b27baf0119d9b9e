"""OpenL2M: the activity log (work sessions of views and changes between a login and a
logout, REST API logins, warnings, errors, commands), the `changes` and `commands`
counters, and a daily inventory snapshot."""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from pipelines.generate.common import (
    DAY_SECONDS,
    DailyIds,
    DayClock,
    Output,
    Scale,
    activity_weight,
    arrivals,
    day_start,
    existing,
    rng_for,
    seconds_in_day,
    ts,
)

SOURCE = "openl2m"
VIEW, CHANGE, WARNING, ERROR, COMMAND, LOGIN_OUT = range(6)
LOGIN, LOGOUT, LOGOUT_INACTIVE, LOGIN_FAILED, LOGIN_REST_API = 90, 91, 92, 93, 95
# What a work session does: (type, action, description, weight); views most.
STEPS = (
    (VIEW, 1, "Viewing switch", 40),
    (VIEW, 0, "Viewing switch groups", 12),
    (VIEW, 5, "Viewing LLDP neighbors", 6),
    (VIEW, 4, "Viewing VLANs", 5),
    (VIEW, 10, "Searching for switch", 4),
    (CHANGE, 110, "Interface description changed", 7),
    (CHANGE, 109, "Interface PVID changed", 6),
    (CHANGE, 104, "Interface enabled", 3),
    (CHANGE, 103, "Interface disabled", 3),
    (CHANGE, 106, "Interface PoE disabled", 1),
    (CHANGE, 111, "Saving configuration", 2),
    (COMMAND, 112, "Execute command 'show interface status'", 6),
    (WARNING, 256, "Undefined VLAN on interface", 1.5),
    (WARNING, 258, "SNMP error: timeout", 1.5),
    (ERROR, 3, "Connection error: no response from device", 1),
)
STEP_WEIGHTS = list(accumulate(s[3] for s in STEPS))
FIRST_LOG_ID = 1_000_000  # records before the first day
EVENTS_PER_SESSION = 8  # steps in an average work session, plus its login and logout


@dataclass(frozen=True)
class Switch:
    id: int
    group: int


class World:
    def __init__(self, seed: int, scale: Scale, first: date, days: int):
        self.seed = seed
        self.first = first
        rng = rng_for(seed, SOURCE, "inventory")
        self.user_offsets = arrivals(scale.openl2m_users, scale.growth, days)
        self.cum = list(accumulate(activity_weight(rng) for _ in self.user_offsets))
        self.addresses = [
            f"10.{rng.randrange(1, 40)}.{rng.randrange(256)}.{rng.randrange(2, 254)}"
            for _ in self.user_offsets
        ]
        groups = max(2, scale.openl2m_switches // 12)
        self.switches = [
            Switch(100 + n, 1 + min(int(rng.expovariate(3 / groups)), groups - 1))
            for n in range(scale.openl2m_switches)
        ]
        self.groups = len({s.group for s in self.switches})  # groups holding a switch
        # Background jobs log at night and at weekends too: 10% of a weekday at least.
        self.log = DailyIds(seed, "openl2m-log", first, scale.openl2m_log, 0.1, FIRST_LOG_ID)


def write_day(out: Output, world: World, day: date) -> None:
    off = (day - world.first).days
    rng = rng_for(world.seed, SOURCE, day)
    clock = DayClock(day)
    # Running totals through the end of the day (about the log's share of changes and
    # commands), a function of the day alone so they only grow.
    logged = world.log.first_id(off + 1) - FIRST_LOG_ID
    at = ts(day_start(day) + timedelta(hours=23, minutes=59, seconds=rng.uniform(0, 59)))
    out.records(
        SOURCE,
        "counters",
        day,
        [
            {"name": "changes", "value": 48_000 + logged * 18 // 100, "at": at},
            {"name": "commands", "value": 21_000 + logged * 5 // 100, "at": at},
        ],
    )
    switches = len(world.switches) + off // 10
    out.record(
        SOURCE,
        "inventory",
        day,
        {
            "at": ts(day_start(day) + timedelta(hours=1, seconds=rng.uniform(0, 60))),
            "switches": switches,
            "switchgroups": world.groups,
            "vlans": 60 + switches // 4,
            "vlan_groups": 4 + world.groups // 5,
            "snmp_profiles": 3,
            "credentials_profiles": 4,
            "commands": 28,
            "command_lists": 5,
            "api_tokens": 3 + off // 14,
        },
    )
    out.records(SOURCE, "log", day, _log(world, day, off, rng, clock))


def _log(world: World, day: date, off: int, rng: random.Random, clock: DayClock) -> list[dict]:
    """The day's log: work sessions (login, steps on a few switches, logout) and REST API
    logins, ids in time order."""
    users = existing(world.user_offsets, off - 1)  # new users work from the day after
    cum = world.cum[:users]
    count = world.log.count(off)
    rows: list[dict] = []
    while len(rows) < count:
        user = bisect_left(cum, rng.random() * cum[-1])
        start = seconds_in_day(rng, day, 1)[0]
        address = world.addresses[user]
        if rng.random() < 0.12:
            rows.append(
                _row(
                    clock,
                    start,
                    user + 1,
                    None,
                    None,
                    address,
                    LOGIN_OUT,
                    LOGIN_REST_API,
                    "REST API login",
                )
            )
            continue
        if rng.random() < 0.03:
            # A failed login: the user name matched no account, so no user id.
            who = None if rng.random() < 0.5 else user + 1
            rows.append(
                _row(
                    clock, start, who, None, None, address, LOGIN_OUT, LOGIN_FAILED, "Login failed"
                )
            )
            continue
        rows.append(_row(clock, start, user + 1, None, None, address, LOGIN_OUT, LOGIN, "Login"))
        second = start
        switch = rng.choice(world.switches)
        for _ in range(int(rng.expovariate(1 / EVENTS_PER_SESSION)) + 1):
            second = min(second + rng.expovariate(1 / 60), DAY_SECONDS - 1)
            if rng.random() < 0.25:
                switch = rng.choice(world.switches)
            kind, action, text, _ = STEPS[
                bisect_left(STEP_WEIGHTS, rng.random() * STEP_WEIGHTS[-1])
            ]
            group = switch.group if rng.random() < 0.9 else None
            # Background polling logs some warnings and errors without a user.
            who = None if kind in (WARNING, ERROR) and rng.random() < 0.3 else user + 1
            rows.append(_row(clock, second, who, switch.id, group, address, kind, action, text))
        if rng.random() < 0.7:
            inactive = rng.random() < 0.3
            second = min(second + rng.uniform(30, 1800 if inactive else 300), DAY_SECONDS - 1)
            rows.append(
                _row(
                    clock,
                    second,
                    user + 1,
                    None,
                    None,
                    address,
                    LOGIN_OUT,
                    LOGOUT_INACTIVE if inactive else LOGOUT,
                    "Logout",
                )
            )
    rows = sorted(rows[:count], key=lambda r: r["timestamp"])
    first_id = world.log.first_id(off)
    return [{"id": first_id + n} | row for n, row in enumerate(rows)]


def _row(
    clock: DayClock,
    second: float,
    user: int | None,
    switch: int | None,
    group: int | None,
    address: str,
    kind: int,
    action: int,
    description: str,
) -> dict:
    return {
        "timestamp": clock.at(second),
        "user_id": user,
        "switch_id": switch,
        "group_id": group,
        "ip_address": address,
        "type": kind,
        "action": action,
        "description": description,
    }
