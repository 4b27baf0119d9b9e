"""Pseudonymous publishing: no identifier of a generated user in any published file or
`serve` answer; one person, one pseudonym across runs and products; totals as published
without pseudonyms; small groups folded into "others"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from pipelines import endpoints, pipeline, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context
from pipelines.endpoints.pseudonyms import OTHERS, OTHERS_ID, Pseudonyms
from pipelines.generate import generate
from pipelines.serve import make_app
from tests.conftest import query, reports, write_raw
from tests.test_retention import storage_settings

KEY = "a-test-key-of-enough-characters"
NOW = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)
USERS = "api/v2/insights/user-activity/last-30-days.json"
SCRIPTS = "api/v2.1/admin/statistics/scripts-running/users-this-month.json"


def settings(**privacy) -> Settings:
    return Settings.model_validate({**storage_settings(), "privacy": privacy})


def build(root: Path, monkeypatch) -> dict:
    """A generated tree whose Coder users also run SeaTable scripts under their e-mail
    address, published plainly and pseudonymously (two runs)."""
    raw = root / "raw"
    generate(raw, 10, date(2026, 3, 2), "small", 3)
    coder_users = [
        orjson.loads(line)
        for path in sorted((raw / "coder" / "users").rglob("*.ndjson"))
        for line in path.read_bytes().splitlines()
    ]
    emails = sorted({u["email"] for u in coder_users})
    runs = [
        {
            "id": 900_000 + n,
            "dtable_uuid": "0" * 32,
            "owner": email,
            "script_name": "sync.py",
            "started_at": "2026-03-05T10:00:00Z",
            "finished_at": "2026-03-05T10:00:30Z",
            "success": True,
        }
        for n, email in enumerate(emails)
    ]
    write_raw(raw, "seatable_script_runs", runs, "2026/03/05/coder-people.ndjson")
    plain, hidden = root / "plain", root / "hidden"
    pipeline.run_nightly(settings(), storage.Warehouse(plain), raw, NOW)
    monkeypatch.setenv("USAGE_WAREHOUSE_PSEUDONYM_KEY", KEY)
    pipeline.run_nightly(settings(pseudonymize=True), storage.Warehouse(hidden), raw, NOW)
    first = reports(hidden)
    pipeline.run_nightly(
        settings(pseudonymize=True), storage.Warehouse(hidden), raw, NOW + timedelta(hours=1)
    )
    return {"raw": raw, "plain": plain, "hidden": hidden, "first": first, "emails": emails}


def identifiers(raw: Path) -> set[str]:
    """Every id, username, name, e-mail and avatar of the generated users."""
    found = set()
    for source, kind, fields in (
        ("coder", "users", ("id", "username", "name", "email", "avatar_url")),
        ("rocketchat", "users", ("_id", "username")),
        ("seatable", "users", ("username", "nickname")),
        ("seatable", "script_runs", ("owner",)),
    ):
        for path in (raw / source / kind).rglob("*.ndjson"):
            for line in path.read_bytes().splitlines():
                record = orjson.loads(line)
                found |= {record[f] for f in fields if isinstance(record.get(f), str) and record[f]}
    return found - {"rocket.cat"}  # a bot, named by Rocket.Chat itself


def leaks(texts: dict[str, bytes], people: set[str]) -> list[tuple[str, str]]:
    """(file, identifier) for every identifier in a text: an identifier of 8 characters or
    more anywhere, a shorter one as a whole JSON string."""
    found = []
    for name, text in texts.items():
        decoded = text.decode()
        strings = set(re.findall(r'"((?:[^"\\]|\\.)*)"', decoded))
        found += [(name, p) for p in people if (p in decoded if len(p) >= 8 else p in strings)]
    return found


def published_data(root: Path) -> dict[str, bytes]:
    """The JSON files of the live report set, and the dashboard's data (its page without
    the drawing script)."""
    folder = storage.Warehouse(root).reports
    texts = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    page = storage.dashboard_page(folder).read_text()
    texts["index.html"] = (
        re.search(r"window.DASHBOARD = (.*?);\n", page, re.DOTALL).group(1).encode()
    )
    return texts


def test_pseudonymous_publishing(tmp_path, monkeypatch):
    """Three runs of one generated tree (plain, then pseudonymous twice), checked in turn."""
    built = build(tmp_path, monkeypatch)
    for check in (
        check_no_generated_identifier_is_published_or_served,
        check_one_person_one_pseudonym_across_runs_and_products,
        check_totals_equal_the_plain_reports,
        check_small_groups_fold_into_others,
        check_a_missing_or_short_key_is_one_line_naming_the_key,
    ):
        check(built, monkeypatch)


def check_no_generated_identifier_is_published_or_served(built: dict, monkeypatch) -> None:
    people = identifiers(built["raw"])
    assert len(people) > 40
    assert leaks(published_data(built["plain"]), people)  # the scan finds them when they are there
    assert leaks(published_data(built["hidden"]), people) == []
    monkeypatch.setenv("USAGE_WAREHOUSE_PSEUDONYM_KEY", KEY)
    wh = storage.Warehouse(built["hidden"])
    manifest = orjson.loads(storage.reports_manifest(wh.reports).read_bytes())
    client = TestClient(make_app(settings(pseudonymize=True), wh, {}, NOW + timedelta(hours=1)))
    served = {}
    for entry in manifest["reports"]:
        answer = client.get(f"/{entry['endpoint']}", params=entry["query"])
        assert answer.status_code == 200
        served[entry["file"]] = answer.content
    assert leaks(served, people) == []
    assert served == reports(built["hidden"])  # serve and the published files agree


def check_one_person_one_pseudonym_across_runs_and_products(built: dict, monkeypatch) -> None:
    names = Pseudonyms(KEY.encode())
    hidden, plain = reports(built["hidden"]), reports(built["plain"])
    for name in hidden:  # the second run: the same pseudonyms
        if name.startswith(("api/v2/insights", "api/private", "api/v2.1/admin/statistics/scripts")):
            assert hidden[name] == built["first"][name]
    coder = orjson.loads(hidden[USERS])["report"]["users"]
    seatable = {r["username"] for r in orjson.loads(hidden[SCRIPTS])["results"]}
    emails = {u["user_id"]: u["email"] for u in _coder_users(built["plain"])}
    plain_users = orjson.loads(plain[USERS])["report"]["users"]
    assert len(coder) == len(plain_users) >= 3
    for person in plain_users:
        handle = names.handle(emails[person["user_id"]])
        assert handle in seatable  # the same e-mail in SeaTable: the same pseudonym
        (mine,) = [u for u in coder if u["username"] == handle]
        assert mine["user_id"] == names.uuid(emails[person["user_id"]])
        assert (mine["seconds"], mine["template_ids"], mine["avatar_url"]) == (
            person["seconds"],
            person["template_ids"],
            "",
        )
    assert [u["user_id"] for u in coder] == sorted(u["user_id"] for u in coder)


def _coder_users(root: Path) -> list[dict]:
    rows = query(root, "select user_id, email from current_versions(stg_coder_users)")
    return [{"user_id": user_id, "email": email.lower()} for user_id, email in rows]


def check_totals_equal_the_plain_reports(built: dict, monkeypatch) -> None:
    hidden, plain = built["first"], reports(built["plain"])  # both as of NOW
    assert hidden.keys() == plain.keys()
    for name in plain:
        assert _totals(name, hidden[name]) == _totals(name, plain[name]), name


def _totals(name: str, data: bytes) -> object:
    """What a report says without naming anyone: its numbers, in order."""
    body = orjson.loads(data)
    if name.startswith(
        ("api/v2/insights/user-", "api/private/", "api/v2.1/admin/statistics/scripts")
    ):
        return sorted(re.findall(rb"[:,\[]\s*(-?\d+(?:\.\d+)?)\b", data))
    if name.startswith("api/v2/insights/templates"):
        for parameter in body["report"]["parameters_usage"]:
            parameter["values"] = sorted(v["count"] for v in parameter["values"])
    return body


def check_small_groups_fold_into_others(built: dict, monkeypatch) -> None:
    monkeypatch.setenv("USAGE_WAREHOUSE_PSEUDONYM_KEY", KEY)
    con = storage.open_warehouse(storage.Warehouse(built["plain"]))
    try:
        folded = Context(con, NOW, settings(pseudonymize=True, min_group=1000))
        plain = Context(con, NOW, settings())
        window = "start_time=2026-03-02T00:00:00Z&end_time=2026-03-12T00:00:00Z"
        each = endpoints.call(plain, f"api/v2/insights/user-activity?{window}")[1]
        (others,) = endpoints.call(folded, f"api/v2/insights/user-activity?{window}")[1]["report"][
            "users"
        ]
        everyone = each["report"]["users"]
        assert others == {
            "template_ids": sorted({t for u in everyone for t in u["template_ids"]}),
            "user_id": OTHERS_ID,
            "username": OTHERS,
            "avatar_url": "",
            "seconds": sum(u["seconds"] for u in everyone),
        }
        latency = endpoints.call(folded, f"api/v2/insights/user-latency?{window}")[1]
        assert latency["report"]["users"][0]["latency_ms"] == {"p50": -1, "p95": -1}
        metrics = endpoints.call(
            folded,
            "api/private/metrics/activity?start=2026-03-02T00:00:00Z&end=2026-03-12T00:00:00Z",
        )[1]
        assert list(metrics["users"]) == [OTHERS_ID]
        assert {r["user_id"] for b in metrics["activity"] for r in b["user_activity"]} == {
            OTHERS_ID
        }
        scripts = endpoints.call(folded, "api/v2.1/admin/statistics/scripts-running/?month=202603")[
            1
        ]
        assert scripts["count"] == 1 and scripts["results"][0]["username"] == OTHERS
        # k users or more: nothing folded.
        enough = Context(con, NOW, settings(min_group=len(everyone)))
        assert endpoints.call(enough, f"api/v2/insights/user-activity?{window}")[1] == each
    finally:
        con.close()


def check_a_missing_or_short_key_is_one_line_naming_the_key(built: dict, monkeypatch) -> None:
    from tests.conftest import cli

    config = built["hidden"].parent / "pseudonymous.yaml"
    config.write_text("privacy: {pseudonymize: true}\n")
    for value in ("", "short"):
        monkeypatch.setenv("USAGE_WAREHOUSE_PSEUDONYM_KEY", value)
        result = cli(
            "report", "api/stats/", "--config", str(config), "--warehouse", str(built["hidden"])
        )
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and "privacy.key_env" in result.stderr
