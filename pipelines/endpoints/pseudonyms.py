"""Pseudonymous publishing (flows.yaml `privacy:`; docs/privacy.md).

`endpoints.call`, the one function behind every published file, `report`, `serve` and the
dashboard, passes each answer through `publishable`, so they all agree:

- `pseudonymize: true`: every user id, username, name and avatar in an answer is replaced
  by a pseudonym made from the person with the secret key (HMAC-SHA256): the same person
  gets the same pseudonym in every run and every product, and nobody without the key can
  tell who it is. A person is their e-mail address where the warehouse knows one (Coder's
  user record; a SeaTable username, which is the user's e-mail address), else their id in
  the product. A user id becomes a UUID made from the pseudonym, a username or name
  `user-<12 hex digits>`, an avatar (URL or hash) "". A Coder user's username, name or
  e-mail address inside a build parameter value they typed (a dotfiles URL) is replaced by
  their pseudonym. Counts and times are unchanged.
- `min_group: k`: the per-user rows of an answer over fewer than k users are folded into
  one row named "others" (Coder's nil UUID): its counts and durations are the sums of the
  rows it folds, its templates their union; a latency cannot be summed, so it shows -1, as
  Coder shows a user without one. An answer with k users or more, or none, is unchanged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.endpoints.base import Context, rows
from pipelines.privacy.keys import keyed_hash, secret

OTHERS = "others"
OTHERS_ID = str(uuid.UUID(int=0))


@dataclass(frozen=True)
class Pseudonyms:
    """Pseudonyms under one key; identity: an e-mail address, else `<source>:<id>`."""

    key: bytes

    def digest(self, identity: str) -> str:
        return keyed_hash(self.key, f"person:{identity.strip().lower()}")

    def handle(self, identity: str) -> str:
        """A username or name: `user-` and 12 hex digits."""
        return f"user-{self.digest(identity)[:12]}"

    def uuid(self, identity: str) -> str:
        """A user id: a UUID (version 4 form) made from the pseudonym."""
        return str(uuid.UUID(hex=self.digest(identity)[:32], version=4))


def seatable_identity(username: str) -> str:
    """A SeaTable user is their username, which is an e-mail address."""
    return username if "@" in username else f"seatable:{username}"


def coder_people(ctx: Context, user_ids: list[str]) -> dict[str, dict]:
    """Coder user id -> username, name and `identity`: the e-mail address as of now, else
    `coder:<id>` (every user when user_ids is empty)."""
    people = rows(ctx, "rpt_coder_people", {"user_ids": sorted(set(user_ids)), "now": ctx.now})
    return {p["user_id"]: p | {"identity": p["email"] or f"coder:{p['user_id']}"} for p in people}


def coder_identities(ctx: Context, user_ids: list[str]) -> dict[str, str]:
    """Coder user id -> the user's e-mail address as of now, else `coder:<id>`."""
    known = coder_people(ctx, user_ids)
    return {u: known[u]["identity"] if u in known else f"coder:{u}" for u in user_ids}


def _coder_templates(ctx: Context, body: dict, names: Pseudonyms | None, k: int) -> None:
    """Template insights: the build parameter values users typed may hold their username,
    name or e-mail address (a dotfiles URL): each is replaced by the person's pseudonym."""
    usage = body.get("report", {}).get("parameters_usage", [])
    if names is None or not any(parameter["values"] for parameter in usage):
        return
    replace = {}
    for person in coder_people(ctx, []).values():
        for said in (person["username"], person["name"], person["email"]):
            if said:
                replace[said.lower()] = names.handle(person["identity"])
    if not replace:
        return
    # Longest first: a name that holds a shorter one is replaced whole.
    pattern = re.compile("|".join(map(re.escape, sorted(replace, key=len, reverse=True))), re.I)
    for parameter in usage:
        for value in parameter["values"]:
            value["value"] = pattern.sub(lambda m: replace[m.group(0).lower()], value["value"])
        parameter["values"].sort(key=lambda v: v["value"])  # Coder orders them by value


def _coder_users(measure: str, folded: object) -> Callable:
    """user-activity and user-latency: report.users[] of user_id, username, avatar_url."""

    def rewrite(ctx: Context, body: dict, names: Pseudonyms | None, k: int) -> None:
        report = body["report"]
        users = report["users"]
        if names is not None:
            people = coder_identities(ctx, [u["user_id"] for u in users])
            for user in users:
                person = people[user["user_id"]]
                user.update(
                    user_id=names.uuid(person), username=names.handle(person), avatar_url=""
                )
            users.sort(key=lambda u: u["user_id"])  # Coder orders them by id
        if 0 < len(users) < k:
            report["users"] = [
                {
                    "template_ids": sorted({t for u in users for t in u["template_ids"]}),
                    "user_id": OTHERS_ID,
                    "username": OTHERS,
                    "avatar_url": "",
                    measure: folded if folded is not None else sum(u[measure] for u in users),
                }
            ]

    return rewrite


def _coder_metrics(ctx: Context, body: dict, names: Pseudonyms | None, k: int) -> None:
    """v1 usage metrics: activity[].user_activity[].user_id and users{id: ...}."""
    users = body["users"]
    if names is not None:
        people = coder_identities(ctx, list(users))
        ids = {old: names.uuid(person) for old, person in people.items()}
        renamed = {}
        for old, user in users.items():
            handle = names.handle(people[old])
            user.update(id=ids[old], name=handle, username=handle, avatar_hash="")
            renamed[ids[old]] = user
        body["users"] = users = dict(sorted(renamed.items()))
        for bucket in body["activity"]:
            for row in bucket["user_activity"]:
                row["user_id"] = ids[row["user_id"]]
            bucket["user_activity"].sort(key=lambda r: (-r["duration"], r["user_id"]))
    if 0 < len(users) < k:
        body["users"] = {
            OTHERS_ID: {
                "id": OTHERS_ID,
                "name": OTHERS,
                "username": OTHERS,
                "roles": [],
                "avatar_hash": "",
                "total_count": sum(u["total_count"] for u in users.values()),
                "total_duration": sum(u["total_duration"] for u in users.values()),
            }
        }
        for bucket in body["activity"]:
            active = bucket["user_activity"]
            if active:
                bucket["user_activity"] = [
                    {
                        "user_id": OTHERS_ID,
                        "duration": sum(r["duration"] for r in active),
                        "count": sum(r["count"] for r in active),
                    }
                ]


def _seatable_scripts(ctx: Context, body: dict, names: Pseudonyms | None, k: int) -> None:
    """scripts-running by user: results[] of username and name (the orgs' rows have none)."""
    users = [r for r in body["results"] if "username" in r]
    if not users:
        return
    if names is not None:
        for row in users:
            handle = names.handle(seatable_identity(row["username"]))
            row.update(username=handle, name=handle)
    if 0 < body["count"] < k:  # the rows of the page (all of them, unless a page is asked)
        body["results"] = [
            {
                "total_run_count": sum(r["total_run_count"] for r in users),
                "total_run_time": round(sum(r["total_run_time"] for r in users), 6),
                "username": OTHERS,
                "name": OTHERS,
            }
        ]
        body["count"] = 1


# Per endpoint path: what an answer holds of persons.
REWRITES: dict[str, Callable[[Context, dict, Pseudonyms | None, int], None]] = {
    "api/v2/insights/user-activity": _coder_users("seconds", None),
    "api/v2/insights/user-latency": _coder_users("latency_ms", {"p50": -1, "p95": -1}),
    "api/private/metrics/activity": _coder_metrics,
    "api/v2/insights/templates": _coder_templates,
    "api/v2.1/admin/statistics/scripts-running": _seatable_scripts,
}


def publishable(ctx: Context, path: str, body: dict) -> dict:
    """An endpoint's answer as flows.yaml `privacy:` allows it to be published (changed in
    place)."""
    privacy = ctx.settings.privacy
    # The key is asked for every answer: a missing key fails the first, not the first
    # answer that names a user.
    names = Pseudonyms(secret(ctx.settings)) if privacy.pseudonymize else None
    rewrite = REWRITES.get(path)
    if rewrite is not None and (names is not None or privacy.min_group > 1):
        rewrite(ctx, body, names, privacy.min_group)
    return body
