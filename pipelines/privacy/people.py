"""What a person owns in each product, declared once, and judged alike in a raw line
(Python) and in a warehouse row (SQL).

A person is a set of keys, each of a kind: their user ids (`coder_user`, ...), and the
keys of what hangs from them through the product's references (their Coder workspaces,
those workspaces' builds). A record is theirs when one of its fields holds one of their
keys (OWNS); a record of theirs makes keys of what hangs from it (YIELDS: a workspace of
theirs makes its id a `coder_workspace` key). A Rocket.Chat direct room is theirs when its
id is their user id joined to another's of the same length (how Rocket.Chat names it).

A record of someone else that merely names them (a build they started in another's
workspace, a mention) keeps its place with the naming values blanked: a string value equal
to one of their identifiers of that product (ids, usernames, names; e-mail addresses in
every product), or holding one of 6 characters or more as a whole word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default

from pipelines import records

# table -> (field, key kind): the record is the person's when the field holds such a key.
OWNS: dict[str, tuple[tuple[str, str], ...]] = {
    "coder_users": (("id", "coder_user"),),
    "coder_organization_members": (("user_id", "coder_user"),),
    "coder_workspaces": (("owner_id", "coder_user"),),
    "coder_workspace_builds": (("workspace_id", "coder_workspace"),),
    "coder_workspace_build_parameters": (("workspace_build_id", "coder_build"),),
    "coder_workspace_apps": (("workspace_id", "coder_workspace"),),
    "coder_workspace_agent_stats": (("user_id", "coder_user"), ("workspace_id", "coder_workspace")),
    "coder_workspace_app_stats": (("user_id", "coder_user"), ("workspace_id", "coder_workspace")),
    "coder_audit_logs": (("user_id", "coder_user"),),
    "coder_template_usage_stats": (("user_id", "coder_user"),),
    "rocketchat_users": (("_id", "rocketchat_user"),),
    "rocketchat_rooms": (("_id", DIRECT := "rocketchat_direct"),),
    "rocketchat_messages": (("u._id", "rocketchat_user"), ("rid", DIRECT)),
    "rocketchat_subscriptions": (("u._id", "rocketchat_user"), ("rid", DIRECT)),
    "seatable_users": (("username", "seatable_user"),),
    "seatable_user_activity": (("username", "seatable_user"),),
    "seatable_script_runs": (("owner", "seatable_user"),),
    "openl2m_log": (("user_id", "openl2m_user"),),
}
# table -> (field, key kind): a record of theirs makes the field's value a key of theirs.
YIELDS: dict[str, tuple[str, str]] = {
    "coder_workspaces": ("id", "coder_workspace"),
    "coder_workspace_builds": ("id", "coder_build"),
}
# table -> (field, key kind): a field of someone else's record that names a person (the
# ingest blanks it when it names a forgotten one; `forget` blanks every naming value).
NAMED: dict[str, tuple[tuple[str, str], ...]] = {
    "coder_workspace_builds": (("initiator_id", "coder_user"),),
}
# A direct room's id joins two user ids of one kind.
DIRECT_MEMBERS = {DIRECT: "rocketchat_user"}
# Fields where an equal name is another person's own (a homonym), not a mention.
OWN_NAMES = {("coder_users", "name"), ("seatable_users", "nickname")}
CONTAINED = 6  # identifiers this long or longer are found inside a value, as a whole word


def ordered_tables() -> list[str]:
    """Record tables in records.py order: a kind after the kinds whose keys it names."""
    return [kind.table for kind in records.KINDS]


@dataclass
class Person:
    """What identifies a person: keys by kind (ids, as text), and the identifiers that name
    them, by source (`*`: every source, for e-mail addresses)."""

    keys: dict[str, set[str]] = default(default_factory=dict)
    names: dict[str, set[str]] = default(default_factory=dict)

    def add_key(self, kind: str, value: object) -> bool:
        """Add a key; True when it is new."""
        text = str(value)
        known = self.keys.setdefault(kind, set())
        if text in known:
            return False
        known.add(text)
        return True

    def add_name(self, source: str, value: object) -> None:
        if isinstance(value, str) and value.strip():
            self.names.setdefault("*" if _is_email(value) else source, set()).add(value.strip())

    def names_in(self, source: str) -> set[str]:
        return self.names.get(source, set()) | self.names.get("*", set())

    def is_empty(self) -> bool:
        return not any(self.keys.values())

    def direct(self, room_id: object) -> bool:
        """A Rocket.Chat direct room of theirs: their id joined to another of its length."""
        if not isinstance(room_id, str):
            return False
        return any(
            len(room_id) == 2 * len(user) and (room_id.startswith(user) or room_id.endswith(user))
            for user in self.keys.get(DIRECT_MEMBERS[DIRECT], ())
        )


def _is_email(value: str) -> bool:
    return "@" in value and "." in value.rsplit("@", 1)[-1]


def naming_pattern(names: set[str]) -> str | None:
    """A regular expression (Python and DuckDB's RE2 alike) finding an identifier of
    CONTAINED characters or more as a whole word, any case; None when there is none."""
    long = sorted((n for n in names if len(n) >= CONTAINED), key=len, reverse=True)
    if not long:
        return None
    words = "|".join(re.escape(n) for n in long)
    return rf"(?i)(^|[^\w.-])({words})($|[^\w.-]|\.(\W|$))"


def mentions(person: Person, source: str | None = None) -> str | None:
    """A regular expression (Python and RE2) finding any of the person's keys, or their
    identifiers in a source (all sources: None), anywhere: what may be about them, judged
    then record by record."""
    texts = {k for values in person.keys.values() for k in values if not k.isdigit()}
    texts |= person.names_in(source) if source else set().union(*person.names.values(), set())
    numbers = sorted({k for values in person.keys.values() for k in values if k.isdigit()})
    parts = [re.escape(t) for t in sorted(texts, key=len, reverse=True)]
    parts += [rf"\b{n}\b" for n in numbers]
    return f"(?i)({'|'.join(parts)})" if parts else None


class Judge:
    """Judges parsed records of one table against a person (Python: raw lines)."""

    def __init__(self, person: Person, table: str):
        self.person = person
        self.table = table
        source = records.BY_TABLE[table].source
        self.names = {n.lower() for n in person.names_in(source)}
        pattern = naming_pattern(person.names_in(source))
        self.pattern = re.compile(pattern) if pattern else None

    def owns(self, record: dict) -> bool:
        """Whether the record is the person's; a record of theirs adds what it yields."""
        mine = any(
            self.person.direct(field(record, path))
            if kind == DIRECT
            else _key_text(field(record, path)) in self.person.keys.get(kind, ())
            for path, kind in OWNS.get(self.table, ())
        )
        if mine and self.table in YIELDS:
            path, kind = YIELDS[self.table]
            value = field(record, path)
            if value is not None:
                self.person.add_key(kind, _key_text(value))
        return mine

    def names_value(self, value: str) -> bool:
        return value.strip().lower() in self.names or bool(
            self.pattern and self.pattern.search(value)
        )

    def naming(self, record: object, path: str = "") -> Iterator[str]:
        """The string values of a record (at any depth) that name the person."""
        if isinstance(record, dict):
            for key, value in record.items():
                yield from self.naming(value, f"{path}.{key}" if path else key)
        elif isinstance(record, list):
            for value in record:
                yield from self.naming(value, path)
        elif isinstance(record, str) and (self.table, path) not in OWN_NAMES:
            if self.names_value(record):
                yield record


def field(record: dict, path: str) -> object:
    """A field by its path (`u._id`); a mongoexport number wrapper read as its value."""
    value: object = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict) and len(value) == 1:
        (inner,) = value.values()
        value = inner
    return value


def _key_text(value: object) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    return str(value)


def blank(record: object, values: set[str]) -> object:
    """The record with every string value of `values` made ""."""
    if isinstance(record, dict):
        return {key: blank(value, values) for key, value in record.items()}
    if isinstance(record, list):
        return [blank(value, values) for value in record]
    return "" if isinstance(record, str) and record in values else record
