"""`usage-warehouse forget`: a person active in all four products, over many days and
several runs, erased from every byte of the warehouse; every report as if their lines had
never been landed; kept out of later ingests."""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import yaml

from pipelines import pipeline, storage
from pipelines.config import load_settings
from pipelines.generate import generate
from pipelines.retention.policy import landed_day
from pipelines.sqlcatalog import models
from tests.conftest import ROOT, cli, query, reports

KEY = {"USAGE_WAREHOUSE_PSEUDONYM_KEY": "a-test-key-of-enough-characters"}
CODER_ID = "7a1d3c55-0f6e-4b8e-9a43-5d2e8c1f0b77"
USERNAME, NAME, EMAIL = "zquimby7", "Zelda Quimby", "zelda.quimby@example.org"
CHAT_ID = "ZqRocketUser00001"  # a Meteor id: 17 characters
WORKSPACE, BUILD, APP = (
    "6b0f9a2e-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
    "5c1e8b3d-2a4f-4c6e-9b7d-8e0f1a2b3c4d",
    "4d2f7c4e-1b3a-4d5f-8c6e-9f0a1b2c3d4e",
)
SWITCH_USER = 4242
DAYS = [f"2026-03-0{d}" for d in range(2, 10)]
IDENTIFIERS = [CODER_ID, USERNAME, NAME, EMAIL, CHAT_ID]


def lines_of(raw: Path, source: str, kind: str) -> list[dict]:
    return [
        orjson.loads(line)
        for path in sorted((raw / source / kind).rglob("*.ndjson"))
        for line in path.read_bytes().splitlines()
    ]


def person(raw: Path) -> tuple[dict[tuple[str, str, str], list], dict[tuple[str, str, str], list]]:
    """The marked person's lines, and the lines of others that name them: (source, kind,
    day) -> records (a str is a line as written)."""
    org = lines_of(raw, "coder", "organizations")[0]["id"]
    template = lines_of(raw, "coder", "templates")[0]["id"]
    version = next(
        v["id"]
        for v in lines_of(raw, "coder", "template_versions")
        if v.get("template_id") == template
    )
    others_workspace = lines_of(raw, "coder", "workspaces")[0]["id"]
    general = lines_of(raw, "rocketchat", "rooms")[0]["_id"]
    partner = next(u for u in lines_of(raw, "rocketchat", "users") if u["type"] == "user")
    direct = "".join(sorted((CHAT_ID, partner["_id"])))
    me = {"_id": CHAT_ID, "username": USERNAME}
    them = {"_id": partner["_id"], "username": partner["username"]}
    mine: dict[tuple[str, str, str], list] = {}

    def add(source: str, kind: str, day: str, *rows) -> None:
        mine.setdefault((source, kind, day), []).extend(rows)

    def at(day: str, clock: str) -> str:
        return f"{day}T{clock}Z"

    def rc(day: str, clock: str) -> dict:
        return {"$date": at(day, clock)}

    first = DAYS[0]
    user = {
        "id": CODER_ID, "username": USERNAME, "name": NAME, "email": EMAIL,
        "avatar_url": "https://avatars.example.com/zq.png", "status": "active",
        "rbac_roles": [], "created_at": "2026-01-10T09:00:00Z",
    }  # fmt: skip
    add("coder", "users", first, user | {"updated_at": "2026-01-10T09:00:00Z"})
    add(
        "coder",
        "users",
        "2026-03-05",
        user | {"updated_at": at("2026-03-05", "12:00:00"), "status": "dormant"},
    )
    add("coder", "organization_members", first, {
        "organization_id": org, "user_id": CODER_ID, "created_at": "2026-01-10T09:00:00Z",
        "updated_at": "2026-01-10T09:00:00Z", "roles": []})  # fmt: skip
    add("coder", "workspaces", first, {
        "id": WORKSPACE, "owner_id": CODER_ID, "organization_id": org, "template_id": template,
        "name": "zq-dev", "created_at": at(first, "08:00:00"), "updated_at": at(first, "08:00:00")})  # fmt: skip
    add("coder", "workspace_builds", "2026-03-03", {
        "id": BUILD, "workspace_id": WORKSPACE, "template_version_id": version, "build_number": 1,
        "transition": "start", "initiator_id": CODER_ID, "created_at": at("2026-03-03", "08:00:00")})  # fmt: skip
    add("coder", "workspace_build_parameters", "2026-03-03", {
        "workspace_build_id": BUILD, "name": "dotfiles_url",
        "value": f"https://github.com/{USERNAME}/dotfiles"})  # fmt: skip
    add("coder", "workspace_apps", first, {
        "id": APP, "agent_id": APP, "workspace_id": WORKSPACE, "slug": "code-server",
        "created_at": at(first, "08:00:00")})  # fmt: skip
    add("rocketchat", "users", first, {
        "_id": CHAT_ID, "username": USERNAME, "type": "user", "active": True, "roles": ["user"],
        "status": "online", "createdAt": rc(first, "07:00:00"), "_updatedAt": rc(first, "07:00:00")})  # fmt: skip
    add("rocketchat", "rooms", "2026-03-04", {
        "_id": direct, "t": "d", "createdAt": rc("2026-03-04", "09:00:00"),
        "_updatedAt": rc("2026-03-04", "09:00:00"), "usernames": [USERNAME, partner["username"]]})  # fmt: skip
    add("rocketchat", "subscriptions", "2026-03-04",
        {"_id": "ZqSubscriptionGen", "rid": general, "u": me, "ls": rc("2026-03-04", "10:00:00"),
         "_updatedAt": rc("2026-03-04", "10:00:00")},
        {"_id": "ZqSubscriptionDm1", "rid": direct, "u": me, "_updatedAt": rc("2026-03-04", "09:00:00")},
        {"_id": "ZqSubscriptionDm2", "rid": direct, "u": them, "_updatedAt": rc("2026-03-04", "09:00:00")})  # fmt: skip
    add("rocketchat", "messages", "2026-03-04",
        {"_id": "ZqDirectMessage01", "rid": direct, "ts": rc("2026-03-04", "09:05:00"), "u": them},
        {"_id": "ZqDirectMessage02", "rid": direct, "ts": rc("2026-03-04", "09:06:00"), "u": me})  # fmt: skip
    add("seatable", "users", first, {"username": EMAIL, "nickname": NAME, "org_id": -1,
                                      "updated_at": "2026-01-10T09:00:00Z"})  # fmt: skip
    add("seatable", "script_runs", "2026-03-05", {
        "id": 990_001, "dtable_uuid": "f" * 32, "owner": EMAIL, "org_id": -1,
        "script_name": "nightly.py", "started_at": at("2026-03-05", "03:00:00"),
        "finished_at": at("2026-03-05", "03:00:40"), "success": True})  # fmt: skip
    add(
        "seatable",
        "user_activity",
        "2026-03-05",
        f'{{"username": "{EMAIL}", "timestamp": "not a time"}}',
    )  # rejected, and still theirs
    for n, day in enumerate(DAYS[1:-1]):
        for minute in ("10:00:05", "10:01:05"):
            add("coder", "workspace_agent_stats", day, {
                "id": f"7a1d3c55-0000-4000-8000-{n:04d}{minute[3:5]}000000", "created_at": at(day, minute),
                "user_id": CODER_ID, "agent_id": APP, "workspace_id": WORKSPACE,
                "template_id": template, "connection_count": 1,
                "connection_median_latency_ms": 20.0, "session_count_vscode": 1,
                "session_count_jetbrains": 0, "session_count_reconnecting_pty": 0,
                "session_count_ssh": 0})  # fmt: skip
        add("coder", "workspace_app_stats", day, {
            "id": 990_000 + n, "user_id": CODER_ID, "workspace_id": WORKSPACE, "agent_id": APP,
            "access_method": "path", "slug_or_port": "code-server",
            "session_id": f"7a1d3c55-1111-4000-8000-{n:012d}", "session_started_at": at(day, "11:00:00"),
            "session_ended_at": at(day, "11:20:00"), "requests": 5})  # fmt: skip
        add("coder", "audit_logs", day, {
            "id": f"7a1d3c55-2222-4000-8000-{n:012d}", "time": at(day, "09:00:00"),
            "user_id": CODER_ID, "action": "login", "organization_id": org})  # fmt: skip
        add(
            "rocketchat",
            "messages",
            day,
            {"_id": f"ZqChannelMessag{n:02d}", "rid": general, "ts": rc(day, "12:00:00"), "u": me},
        )
        add("seatable", "user_activity", day, {"username": EMAIL, "timestamp": at(day, "13:00:00")})
        add("openl2m", "log", day,
            {"id": 990_000 + 2 * n, "timestamp": at(day, "14:00:00"), "user_id": SWITCH_USER,
             "type": 5, "action": 90, "description": "Login"},
            {"id": 990_001 + 2 * n, "timestamp": at(day, "14:05:00"), "user_id": SWITCH_USER,
             "switch_id": 101, "type": 1, "action": 10, "description": "Interface description changed"})  # fmt: skip
    others = {
        # a build they started in someone else's workspace, a mention of them
        ("coder", "workspace_builds", "2026-03-06"): [{
            "id": "3e3f6d5f-0c2b-4e6d-8f7e-0a1b2c3d4e5f", "workspace_id": others_workspace,
            "template_version_id": version, "build_number": 0, "transition": "stop",
            "initiator_id": CODER_ID, "created_at": at("2026-03-06", "08:00:00")}],
        ("rocketchat", "messages", "2026-03-06"): [{
            "_id": "ZqMentionMessage1", "rid": general, "ts": rc("2026-03-06", "15:00:00"),
            "u": them, "msg": f"thanks @{USERNAME}!"}],
    }  # fmt: skip
    return mine, others


def write(raw: Path, lines: dict[tuple[str, str, str], list], name: str) -> None:
    for (source, kind, day), rows in lines.items():
        folder = raw / source / kind / day.replace("-", "/")
        folder.mkdir(parents=True, exist_ok=True)
        text = "".join((r if isinstance(r, str) else orjson.dumps(r).decode()) + "\n" for r in rows)
        if kind == "workspace_agent_stats":  # gzip stays gzip
            (folder / f"{name}.ndjson.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (folder / f"{name}.ndjson").write_text(text)


def landed_until(tree: Path, raw: Path, last: str) -> None:
    """The files of the tree landed up to a day (as collects would have)."""
    for path in tree.rglob("*"):
        day = landed_day(path.relative_to(tree).as_posix())
        if path.is_file() and (day is None or str(day) <= last):
            target = raw / path.relative_to(tree)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copy2(path, target)


def now(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T06:00:00+00:00")


def erase_a_person(root: Path, prefect_env: dict) -> dict:
    """A warehouse of three runs (the last through the command line and Prefect) holding
    the marked person, then `forget` through the command line; and the reference warehouse
    of the same raw data without their lines."""
    tree, reference_tree = root / "tree", root / "reference-tree"
    generate(tree, len(DAYS), datetime.fromisoformat(DAYS[0]).date(), "small", 3)
    mine, others = person(tree)
    write(tree, others, "others")
    shutil.copytree(tree, reference_tree)
    write(tree, mine, "extra")
    config = root / "flows.yaml"
    data = yaml.safe_load((ROOT / "flows.yaml").read_text())
    config.write_text(yaml.safe_dump(data | {"warehouse": "wh", "retention": {"reports": 3}}))
    settings = load_settings(config)
    wh = storage.Warehouse(root / "wh")
    for last, at in (("2026-03-04", "2026-03-05"), ("2026-03-07", "2026-03-08")):
        landed_until(tree, wh.default_raw, last)
        assert pipeline.run_nightly(settings, wh, None, now(at)).status == "ok"
    landed_until(tree, wh.default_raw, DAYS[-1])
    env = prefect_env | KEY
    ran = cli("run", "--config", str(config), "--now", "2026-03-10T06:00:00Z", env=env)
    assert ran.returncode == 0, ran.stderr
    assert len(storage.report_sets(wh)) == 3
    before = scan(wh.root, Path(prefect_env["PREFECT_HOME"]))
    refused = cli("forget", "--user", EMAIL, "--config", str(config), env=env)
    forgot = cli(
        "forget", "--user", EMAIL, "--user", USERNAME, "--user", str(SWITCH_USER),
        "--config", str(config), "--yes", env=env,
    )  # fmt: skip
    reference = storage.Warehouse(root / "reference")
    pipeline.run_nightly(settings, reference, reference_tree, now("2026-03-10"))
    return {
        "root": root, "wh": wh, "reference": reference, "config": config, "env": env,
        "reference facts": fact_rows(reference.root),  # (read once: two checks compare)
        "before": before, "refused": refused, "forgot": forgot, "mine": mine,
        "prefect": Path(prefect_env["PREFECT_HOME"]),
    }  # fmt: skip


def scan(folder: Path, *more: Path) -> list[tuple[str, str]]:
    """(file, identifier) for every identifier of the person in every file below the
    folders, read as we write them: gzip decompressed, Parquet read back."""
    found = []
    for top in (folder, *more):
        for path in top.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            if path.suffix == ".parquet":
                text = orjson.dumps(pq.read_table(path).to_pylist(), default=str).decode()
            elif path.name.endswith(".gz"):
                text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            else:
                text = path.read_bytes().decode("utf-8", "replace")
            text = text.lower()
            found += [(str(path), i) for i in IDENTIFIERS if i.lower() in text]
    return found


def test_forget_erases_a_person_from_every_layer(tmp_path, prefect_env, monkeypatch):
    """One warehouse, built once (it takes three runs), checked in turn."""
    erased = erase_a_person(tmp_path, prefect_env)
    check_forget_needs_yes_and_says_what_it_rewrote(erased)
    check_no_byte_of_the_person_is_left(erased)
    check_every_report_and_fact_is_as_without_their_lines(erased)
    check_raw_files_keep_every_other_line_byte_for_byte(erased)
    check_a_second_forget_finds_no_one_and_later_ingests_keep_them_out(erased, monkeypatch)


def check_forget_needs_yes_and_says_what_it_rewrote(erased: dict) -> None:
    refused = erased["refused"]
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--yes" in refused.stderr
    forgot = erased["forgot"]
    assert forgot.returncode == 0, forgot.stderr
    for said in ("coder_workspace_agent_stats", "raw", "report sets", "3 computed again"):
        assert said in forgot.stdout


def check_no_byte_of_the_person_is_left(erased: dict) -> None:
    wh = erased["wh"]
    assert {i for _, i in erased["before"]} == set(IDENTIFIERS)  # the scan finds them when there
    assert scan(wh.root, erased["prefect"]) == []
    assert len(storage.report_sets(wh)) == 3  # every kept set, rewritten
    assert not list(wh.root.rglob("*.erasure")) and not wh.erasure_journal.exists()


def fact_rows(root: Path) -> dict[str, list[tuple]]:
    """Every fact's rows, in order, read in one session of the warehouse."""
    con = storage.open_warehouse(storage.Warehouse(root))
    try:
        return {
            model.name: con.execute(f"select * from {model.name} order by all").fetchall()
            for model in models().values()
            if model.layer == "facts"
        }
    finally:
        con.close()


def check_every_report_and_fact_is_as_without_their_lines(erased: dict) -> None:
    assert reports(erased["wh"].root) == reports(erased["reference"].root)
    for name, rows in fact_rows(erased["wh"].root).items():
        assert rows == erased["reference facts"][name], name


def check_raw_files_keep_every_other_line_byte_for_byte(erased: dict) -> None:
    """Their lines are empty lines; the others' lines naming them keep their place, the
    naming values blanked; gzip stays gzip."""
    raw, tree = erased["wh"].default_raw, erased["root"] / "tree"
    agent = sorted(raw.glob("coder/workspace_agent_stats/**/extra.ndjson.gz"))
    assert agent and all(set(gzip.decompress(p.read_bytes())) <= {10} for p in agent)
    others = raw / "rocketchat/messages/2026/03/06/others.ndjson"
    assert orjson.loads(others.read_bytes())["msg"] == ""
    build = orjson.loads((raw / "coder/workspace_builds/2026/03/06/others.ndjson").read_bytes())
    assert build["initiator_id"] == "" and build["workspace_id"]
    generated = tree / "rocketchat/messages/2026/03/06/messages-20260306.ndjson"
    assert (raw / generated.relative_to(tree)).read_bytes() == generated.read_bytes()


def check_a_second_forget_finds_no_one_and_later_ingests_keep_them_out(
    erased: dict, monkeypatch
) -> None:
    again = cli(
        "forget", "--user", EMAIL, "--config", str(erased["config"]), "--yes", env=erased["env"]
    )
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "no record" in again.stderr
    # The product still holds them: a collect lands their records again, and a workspace
    # made for them since, with a build (whose only link to them is the workspace).
    wh = erased["wh"]
    again: dict[tuple[str, str, str], list] = {}
    for (source, kind, _), rows in erased["mine"].items():
        again.setdefault((source, kind, "2026-03-09"), []).extend(rows)
    (workspace,) = again[("coder", "workspaces", "2026-03-09")]
    (build,) = again[("coder", "workspace_builds", "2026-03-09")]
    new = "0f0f0f0f-1e1e-4d4d-8c8c-7b7b7b7b7b7b"
    again[("coder", "workspaces", "2026-03-09")].append(workspace | {"id": new, "name": "zq-new"})
    again[("coder", "workspace_builds", "2026-03-09")].append(
        build | {"id": new, "workspace_id": new, "initiator_id": None}
    )
    write(wh.default_raw, again, "again")
    for name, value in KEY.items():
        monkeypatch.setenv(name, value)
    ran = pipeline.run_nightly(load_settings(erased["config"]), wh, None, now("2026-03-10"))
    assert ran.status == "ok" and ran.forgotten > 0 and ran.reconciles
    assert scan(wh.parquet) == []
    assert query(wh.root, f"select count(*) from coder_workspace_builds where id = '{new}'") == [
        (0,)
    ]
    for name, rows in fact_rows(wh.root).items():  # their records stayed out: as the reference's
        assert rows == erased["reference facts"][name], name


def test_the_days_retention_made_final_lose_their_rows_and_keep_the_others(tmp_path, monkeypatch):
    """Days before a floor cannot be built again (their records are gone): their facts lose
    the rows naming the person and keep everyone else's as they were."""
    from pipelines.config import Settings
    from pipelines.forget import forget
    from tests.conftest import write_raw

    for name, value in KEY.items():
        monkeypatch.setenv(name, value)
    raw = tmp_path / "raw"
    rows = [
        {"username": user, "timestamp": f"2024-05-0{d}T10:00:00Z"}
        for d in range(1, 7)
        for user in (EMAIL, "other@example.org")
    ]
    write_raw(raw, "seatable_user_activity", rows)
    runs = [
        {"id": d, "dtable_uuid": "d", "owner": user, "script_name": "s.py", "success": True,
         "started_at": f"2024-05-0{d}T10:00:00Z", "finished_at": f"2024-05-0{d}T10:00:05Z"}
        for d, user in ((1, EMAIL), (2, "other@example.org"), (6, EMAIL))
    ]  # fmt: skip
    write_raw(raw, "seatable_script_runs", runs)
    settings = Settings(retention={"records": "3d"})
    wh = storage.Warehouse(tmp_path / "wh")
    pipeline.run_nightly(settings, wh, raw, now("2024-05-07"))  # records from 05-04 on
    daily = "select activity_date, user_id from fct_active_users_daily order by all"
    before = query(wh.root, daily)
    forget(settings, wh, [EMAIL], raw=raw)
    after = query(wh.root, daily)
    assert after == [r for r in before if r[1] != EMAIL]
    assert len(after) == 6  # the other user's six days: the final ones kept as they were
    owners = query(
        wh.root, "select finished_date, owner, count_runs from fct_seatable_script_runs_daily"
    )
    assert owners == [(datetime.fromisoformat("2024-05-02").date(), "other@example.org", 1)]
    assert scan(wh.root) == []
