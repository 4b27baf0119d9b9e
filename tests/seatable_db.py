"""A generated SeaTable deployment in MariaDB: SeaTable's three databases with its tables
(tests/mysql/<database>.sql), written day by day as SeaTable would have written them.

Every secret or personal value the loader writes holds LEAK, so a test can show that none
of them ever reaches a raw file.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from tests.mariadb import Server

SCHEMAS = Path(__file__).parent / "mysql"
LEAK = "LEAK"
# In the order SeaTable writes them: teams and users before what refers to them.
KINDS = ("orgs", "users", "user_activity", "script_runs")
# SeaTable's default names of its databases (the keys of sources.seatable.dsn_env).
DEFAULTS = {"dtable": "dtable_db", "ccnet": "ccnet_db", "scheduler": "scheduler"}


def naive_utc(text: str) -> datetime:
    """A raw timestamp as SeaTable's DATETIME columns hold it: UTC, without a zone."""
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _microseconds(text: str) -> int:
    """ccnet's ctime: microseconds since the epoch."""
    return int(datetime.fromisoformat(text).timestamp() * 1_000_000)


class SeaTableDatabases:
    """SeaTable's databases in the test server, under the given names (created anew)."""

    def __init__(self, server: Server, names: dict[str, str] | None = None):
        self.server, self.names = server, names or DEFAULTS
        for key, name in self.names.items():
            server.execute(
                f"drop database if exists `{name}`; create database `{name}` character set utf8"
            )
            server.execute((SCHEMAS / f"{key}.sql").read_text(), database=name)

    def urls(self, **login: str) -> dict[str, str]:
        """key -> the URL of that database (the superuser's unless a user is given)."""
        return {key: self.server.dsn(name, **login) for key, name in self.names.items()}

    def sql(self, text: str) -> str:
        """SQL whose `{dtable}`-style placeholders name the databases (as the collector's)."""
        return text.format(**{key: f"`{name}`" for key, name in self.names.items()})

    def execute(self, text: str, params: tuple | dict | None = None):
        """Run SQL as root; returns the rows of its last statement."""
        return self.server.execute(self.sql(text), params)

    def load(self, records: dict[str, list[dict]]) -> None:
        with self.server.admin() as conn, conn.cursor() as cursor:
            for kind in KINDS:
                rows = records.get(kind, [])
                if rows:
                    getattr(self, f"_{kind}")(cursor, rows)

    def _orgs(self, cursor, rows: list[dict]) -> None:
        # A rename is made in place: ccnet keeps no time of change.
        cursor.executemany(
            self.sql(
                "insert into {ccnet}.Organization (org_id, org_name, url_prefix,"
                " creator, ctime) values (%s, %s, %s, %s, %s)"
                " on duplicate key update org_name = values(org_name)"
            ),
            [
                (
                    r["org_id"],
                    r["org_name"],
                    f"{LEAK}-org-{r['org_id']}",
                    f"{LEAK}-creator@example.com",
                    _microseconds(r["updated_at"]),
                )
                for r in rows
            ],
        )

    def _users(self, cursor, rows: list[dict]) -> None:
        for r in rows:
            user = r["username"]
            digest = hashlib.sha1(user.encode()).hexdigest()
            # Accounts: most in EmailUser, some imported from LDAP; both hold a password.
            if int(digest, 16) % 3:
                cursor.execute(
                    self.sql(
                        "insert ignore into {ccnet}.EmailUser (email, passwd,"
                        " is_staff, is_active, ctime) values (%s, %s, 0, 1, %s)"
                    ),
                    (user, f"PBKDF2SHA256$10000${LEAK}", _microseconds(r["updated_at"])),
                )
            else:
                cursor.execute(
                    self.sql(
                        "insert ignore into {ccnet}.LDAPUsers (email, password,"
                        " is_staff, is_active) values (%s, %s, 0, 1)"
                    ),
                    (user, f"{LEAK}-ldap-password"),
                )
            # SeaTable keeps '' for no nickname (the column is not null).
            cursor.execute(
                self.sql(
                    "insert into {dtable}.profile_profile (`user`, nickname, intro,"
                    " contact_email, list_in_address_book, phone) values (%s, %s, %s, %s, 1, %s)"
                    " on duplicate key update nickname = values(nickname)"
                ),
                (
                    user,
                    r.get("nickname") or "",
                    f"{LEAK} intro",
                    f"{LEAK}-{digest[:12]}@example.com",
                    f"{LEAK}{digest[:12]}",
                ),
            )
            cursor.execute(self.sql("delete from {ccnet}.OrgUser where email = %s"), (user,))
            if r.get("org_id") not in (None, -1):
                cursor.execute(
                    self.sql(
                        "insert into {ccnet}.OrgUser (org_id, email, is_staff) values (%s, %s, 0)"
                    ),
                    (r["org_id"], user),
                )
            cursor.execute(
                self.sql(
                    "insert ignore into {dtable}.api2_token (`key`, `user`, created)"
                    " values (%s, %s, %s)"
                ),
                (f"{LEAK}{digest[:36]}", user, naive_utc(r["updated_at"])),
            )

    def _user_activity(self, cursor, rows: list[dict]) -> None:
        # dtable-events: one row per user and UTC day at its midnight, replaced at each visit.
        values = []
        for r in rows:
            day = f"{naive_utc(r['timestamp']):%Y-%m-%d} 00:00:00"
            md5 = hashlib.md5((r["username"] + day).encode()).hexdigest()
            values.append((md5, r["username"], day, r.get("org_id", -1)))
        cursor.executemany(
            self.sql(
                "replace into {dtable}.user_activity_statistics (user_time_md5,"
                " username, `timestamp`, org_id) values (%s, %s, %s, %s)"
            ),
            values,
        )

    def _script_runs(self, cursor, rows: list[dict]) -> None:
        # The scheduler's finished runs; no spend_time column (finished_at holds it).
        cursor.executemany(
            self.sql(
                "insert into {scheduler}.script_log (id, dtable_uuid, owner, org_id,"
                " script_name, context_data, started_at, finished_at, success, return_code, output,"
                " operate_from, state, created_at) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " %s, 'automation-rule', 'finished', %s)"
            ),
            [
                (
                    r["id"],
                    r["dtable_uuid"],
                    r["owner"],
                    r.get("org_id"),
                    r["script_name"],
                    f'{{"row": {{"secret": "{LEAK}-context"}}}}',
                    naive_utc(r["started_at"]),
                    naive_utc(r["finished_at"]),
                    r["success"],
                    r.get("return_code"),
                    f"{LEAK} output of the script",
                    naive_utc(r["started_at"]),
                )
                for r in rows
            ],
        )
