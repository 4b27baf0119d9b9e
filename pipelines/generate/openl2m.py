"""OpenL2M: the activity log of every type, change and command counters, inventory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.generate.common import (
    Output,
    Scale,
    activity_level,
    day_start,
    rng_for,
    ts,
    work_moment,
)

SOURCE = "openl2m"
# Log record types: 0 view, 1 change, 2 warning, 3 error, 4 command, 5 login/out
TYPE_WEIGHTS = [60, 15, 5, 3, 10, 7]


@dataclass
class World:
    users: list[int]
    switches: list[int]


def build_world(seed: int, scale: Scale, first_day: date) -> World:
    return World(
        list(range(1, scale.openl2m_users + 1)), list(range(100, 100 + scale.openl2m_switches))
    )


def write_snapshots(out: Output, world: World, day: date, seed: int) -> None:
    """OpenL2M's snapshots are daily (counters, inventory): written by write_day."""


def write_day(
    out: Output, world: World, day: date, seed: int, scale: Scale, first_day: date
) -> None:
    rng = rng_for(seed, SOURCE, day)
    count = int(scale.openl2m_log_per_day * (0.2 + 0.8 * activity_level(day)))
    first_id = day.toordinal() * 10_000_000
    changes = commands = 0
    for n in range(count):
        kind = rng.choices(range(6), TYPE_WEIGHTS)[0]
        record = {
            "id": first_id + n,
            "timestamp": ts(work_moment(rng, day)),
            "user_id": rng.choice(world.users) if rng.random() < 0.95 else None,
            "switch_id": rng.choice(world.switches) if kind != 5 and rng.random() < 0.9 else None,
            "group_id": rng.randrange(1, 6) if rng.random() < 0.8 else None,
            "ip_address": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            "type": kind,
            "action": 95 if kind == 5 and rng.random() < 0.3 else rng.randrange(1, 90),
            "description": "generated",
        }
        changes += kind == 1
        commands += kind == 4
        out.add(SOURCE, "log", day, record)
    # Counters keep running totals from before the log's first day.
    days_in = (day - first_day).days + 1
    at = ts(day_start(day) + timedelta(hours=23, minutes=59))
    out.add(
        SOURCE,
        "counters",
        day,
        {"name": "changes", "value": 5_000 + days_in * count // 7, "at": at},
    )
    out.add(
        SOURCE,
        "counters",
        day,
        {"name": "commands", "value": 3_000 + days_in * count // 10, "at": at},
    )
    out.add(
        SOURCE,
        "inventory",
        day,
        {
            "at": ts(day_start(day) + timedelta(hours=1)),
            "switches": len(world.switches) + days_in // 7,
            "switchgroups": max(1, len(world.switches) // 10),
            "vlans": 40 + days_in % 5,
            "vlan_groups": 6,
            "snmp_profiles": 3,
            "credentials_profiles": 4,
            "commands": 25,
            "command_lists": 5,
            "api_tokens": 2 + days_in // 14,
        },
    )
