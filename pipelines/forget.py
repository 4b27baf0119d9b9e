"""`usage-warehouse forget`: a person erased from every layer of a warehouse
(docs/privacy.md, "Answering an erasure request").

1. Find them in the warehouse's records, by id, username or e-mail address, in every
   product (or one): their keys and identifiers (people.Person), then what hangs from
   them (their workspaces, those workspaces' builds).
2. Records: every partition holding a record of theirs (people.OWNS) or a value naming
   them is written again, without their records and with the naming values blanked.
3. Raw files: every landed file holding a line of theirs or naming them is written again
   beside itself (gzip stays gzip): a line of theirs becomes an empty line (every other
   line keeps its number and its bytes, so the records' lineage stays true), a naming
   value becomes "". The manifest learns the new files, so they are not read again.
4. Staging and facts: the transform rebuilds every partition the rewritten records reach;
   the partitions it cannot build again (before a floor: retention dropped their records)
   lose the rows naming them (`-- person:` columns). Rejected lines, checks and runs lose
   what names them too.
5. Every kept report set is computed again as of its own `now` (the dashboard with it),
   under a new name; the forgotten list gains the keyed hashes of their keys.
6. The erasure is decided by writing its journal (storage/journal.py) and then applied:
   the catalog, the live report set, usage.duckdb, the raw files, the forgotten list, and
   every file of the catalogs before removed. Killed before the journal, nothing changed;
   killed after, the next run or forget completes it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pyarrow as pa

from pipelines import records, storage
from pipelines.config import Settings
from pipelines.extract.files import discover, fingerprint, read_blocks
from pipelines.privacy import people
from pipelines.privacy.forgotten import Forgotten
from pipelines.privacy.keys import forgetting_key
from pipelines.privacy.people import OWNS, YIELDS, Judge, Person
from pipelines.publish import publish
from pipelines.retention.drop import record
from pipelines.retention.policy import Drop
from pipelines.sqlcatalog import models
from pipelines.storage import Catalog, journal, quote_ident, sql_literal
from pipelines.storage.catalog import schema_signature
from pipelines.storage.internal import CHECKS, INGESTED_FILES, REJECTS, RUNS
from pipelines.storage.paths import packed_days
from pipelines.transform.floors import floor
from pipelines.transform.runner import build_facts, write_partitions

Progress = Callable[[str], None]


class NotFound(RuntimeError):
    """No record of the person in the warehouse."""


@dataclass
class Erasure:
    """What `forget` rewrote."""

    run_id: str
    found: dict[str, int] = field(default_factory=dict)  # source -> ids found
    drops: list[Drop] = field(default_factory=list)
    partitions_rebuilt: int = 0
    report_sets: int = 0
    completed_before: bool = False  # an erasure killed earlier was completed first


# ------------------------------------------------------------------ finding the person


def _find(con, users: list[str], sources: list[str]) -> Person:
    """The person's keys and identifiers; NotFound naming a value matching nothing."""
    person = Person()
    for user in users:
        found = False
        for source in sources:
            found |= FINDERS[source](con, person, user)
        if not found:
            raise NotFound(
                f"forget: no record of {user!r} in {', '.join(sources)} "
                "(give a user id, username or e-mail address the warehouse holds)"
            )
    return person


def _coder(con, person: Person, user: str) -> bool:
    ids = {
        i
        for (i,) in con.execute(
            "select id from coder_users where id = $u or username = $u or lower(email) = lower($u) "
            "union select user_id from coder_workspace_agent_stats where user_id = $u "
            "union select user_id from coder_audit_logs where user_id = $u",
            {"u": user},
        ).fetchall()
    }
    for user_id in ids:
        person.add_key("coder_user", user_id)
        person.add_name("coder", user_id)
    versions = con.execute(
        "select username, name, email, avatar_url from coder_users where list_contains($ids, id)",
        {"ids": sorted(ids)},
    ).fetchall()
    for version in versions:
        for value in version:
            person.add_name("coder", value)
    return bool(ids)


def _rocketchat(con, person: Person, user: str) -> bool:
    ids = {
        i
        for (i,) in con.execute(
            'select "_id" from rocketchat_users where "_id" = $u or username = $u '
            "union select u._id from rocketchat_messages where u._id = $u or u.username = $u",
            {"u": user},
        ).fetchall()
    }
    names = con.execute(
        'select username from rocketchat_users where list_contains($ids, "_id") '
        "union select u.username from rocketchat_messages where list_contains($ids, u._id)",
        {"ids": sorted(ids)},
    ).fetchall()
    for user_id in ids:
        person.add_key("rocketchat_user", user_id)
        person.add_name("rocketchat", user_id)
    for (name,) in names:
        person.add_name("rocketchat", name)
    return bool(ids)


def _seatable(con, person: Person, user: str) -> bool:
    found = con.execute(
        "select username, nickname from seatable_users where lower(username) = lower($u) "
        "union select username, null from seatable_user_activity where lower(username) = lower($u) "
        "union select owner, null from seatable_script_runs where lower(owner) = lower($u)",
        {"u": user},
    ).fetchall()
    for username, nickname in found:
        person.add_key("seatable_user", username)
        person.add_name("seatable", username)
        person.add_name("seatable", nickname)
    if found:  # every nickname a version gave them
        usernames = sorted({u for u, _ in found})
        for (nickname,) in con.execute(
            "select nickname from seatable_users where list_contains($u, username)",
            {"u": usernames},
        ).fetchall():
            person.add_name("seatable", nickname)
    return bool(found)


def _openl2m(con, person: Person, user: str) -> bool:
    """OpenL2M's records carry a user's numeric id only."""
    if not user.isdigit():
        return False
    (count,) = con.execute(
        "select count(*) from openl2m_log where user_id = $u", {"u": int(user)}
    ).fetchall()[0]
    if count:
        person.add_key("openl2m_user", user)
    return bool(count)


FINDERS = {"coder": _coder, "rocketchat": _rocketchat, "seatable": _seatable, "openl2m": _openl2m}


# ------------------------------------------------------------------ SQL over a person


def _register(con, person: Person) -> None:
    """The person's keys as the table the predicates read: person_keys(kind, key)."""
    keys = [(kind, key) for kind, values in person.keys.items() for key in sorted(values)]
    rows = pa.table({"kind": [k for k, _ in keys], "key": [v for _, v in keys]}, schema=KEYS)
    con.register("person_key_rows", rows)
    con.execute("create or replace temp table person_keys as select * from person_key_rows")


KEYS = pa.schema([("kind", pa.string()), ("key", pa.string())])


def _column(path: str) -> str:
    return ".".join(quote_ident(part) for part in path.split("."))


def own_sql(table: str) -> str:
    """SQL over a record table's row: it is the person's (people.OWNS)."""
    parts = []
    for path, kind in OWNS.get(table, ()):
        column = _column(path)
        if kind == people.DIRECT:
            member = people.DIRECT_MEMBERS[kind]
            parts.append(
                f"exists (select 1 from person_keys as k where k.kind = '{member}' "
                f"and len({column}) = 2 * len(k.key) "
                f"and (starts_with({column}, k.key) or ends_with({column}, k.key)))"
            )
        else:
            parts.append(
                f"{column}::varchar in (select key from person_keys where kind = '{kind}')"
            )
    # A field without a value is no one's: never null (`not own` keeps the row).
    return f"coalesce({' or '.join(parts)}, false)" if parts else "false"


class Naming:
    """SQL blanking the values that name the person, for the tables of some sources."""

    def __init__(self, person: Person, sources: set[str]):
        names = set().union(*(person.names_in(s) for s in sources)) if sources else set()
        self.pattern = people.naming_pattern(names)
        lowered = sorted({n.lower() for n in names})
        self.list = "[" + ", ".join(sql_literal(n) for n in lowered) + "]::varchar[]"
        self.json = "|".join(re.escape(n) for n in lowered)

    def names(self, value: str) -> str:
        """SQL: the string value names the person."""
        test = f"list_contains({self.list}, lower({value}))"
        if self.pattern:
            test += f" or regexp_matches({value}, {sql_literal(self.pattern)})"
        return f"coalesce({test}, false)"

    def blanked(self, column: str, type_: str) -> str | None:
        """SQL: the column with its naming values blanked (None: a type holding no text)."""
        if type_ == "VARCHAR":
            return f"case when {self.names(column)} then '' else {column} end"
        if type_ == "VARCHAR[]":
            return f"list_transform({column}, lambda x: case when {self.names('x')} then '' else x end)"
        if type_.startswith("STRUCT("):
            fields = [f.split()[0] for f in type_[7:-1].split(", ")]
            packed = ", ".join(
                f"{f} := case when {self.names(f'{column}.{f}')} then '' else {column}.{f} end"
                for f in fields
            )
            return f"case when {column} is null then null else struct_pack({packed}) end"
        if type_ == "JSON" and self.json:  # a JSON string equal to an identifier
            pattern = sql_literal(f'"({self.json})"')
            return f"regexp_replace({column}::varchar, {pattern}, '\"\"', 'gi')::json"
        return None

    def select(self, columns: dict[str, str], skip: set[str] = frozenset()) -> tuple[str, str]:
        """(select list with every text column blanked, SQL: some column names the person)."""
        items, tests = [], []
        for name, type_ in columns.items():
            column = quote_ident(name)
            blanked = None if name in skip else self.blanked(column, type_)
            items.append(f"{blanked or column} as {column}")
            if blanked is not None:
                tests.append(f"({blanked}) is distinct from {column}")
        return ", ".join(items), " or ".join(tests) or "false"


# ------------------------------------------------------------------ the layers


def _closure(con, person: Person, sources: list[str]) -> None:
    """What hangs from the person: the keys their records yield (people.YIELDS), in
    records.py order (a workspace's builds after the workspace)."""
    for table in people.ordered_tables():
        if table in YIELDS and records.BY_TABLE[table].source in sources:
            _register(con, person)
            path, kind = YIELDS[table]
            for (value,) in con.execute(
                f"select distinct {_column(path)} from {table} where {own_sql(table)}"
            ).fetchall():
                person.add_key(kind, value)


def _rewrite_records(
    con, catalog: Catalog, person: Person, sources, run_id: str, say
) -> tuple[dict, list[Drop]]:
    """Every record partition with a record of theirs or a value naming them, written
    again; returns the partitions rewritten per table, and the drops."""
    dirty: dict[str, set[str]] = {}
    drops = []
    for kind in records.KINDS:
        if kind.source not in sources or not catalog.has_files(kind.table):
            continue
        say(f"rewriting {kind.table}")
        naming = Naming(person, {kind.source})
        skip = {f for t, f in people.OWN_NAMES if t == kind.table} | set(records.LINEAGE_COLUMNS)
        select, names = naming.select(kind.stored_columns, skip)
        own = own_sql(kind.table)
        files: dict[str, list[str]] = {}  # a file -> its partitions (a packed month's days)
        for key in catalog.partitions(kind.table):
            files.setdefault(str(catalog.file(kind.table, key)), []).append(key)
        rows = _typed_rows(list(files), kind.stored_columns)
        found = con.execute(
            f"select filename, count(*) filter (where {own}), "
            f"count(*) filter (where not ({own}) and ({names})) "
            f"from {rows} group by all having count(*) filter (where {own} or {names}) > 0"
        ).fetchall()
        removed = blanked = 0
        for filename, mine, naming_rows in found:
            keys = files[filename]
            span = packed_days(Path(filename))
            packed = span is not None
            if packed:  # its month's file, every day it holds
                target = catalog.wh.new_packed_file(kind.table, run_id, "day", span)
            else:
                partition = ("day", keys[0]) if kind.partitioned else None
                target = catalog.wh.new_file(kind.table, run_id, partition)
            kept = (
                f"select {select}{', day' if packed else ''} "
                f"from {_typed_rows([filename], kind.stored_columns)} where not ({own})"
            )
            if packed:  # the days it still holds
                days = con.execute(f"select distinct day::varchar from ({kept})").fetchall()
                left = {day for (day,) in days}
            else:
                (count,) = con.execute(f"select count(*) from ({kept})").fetchone()
                left = set(keys) if count else set()
            if left:
                storage.copy_to_parquet(con, kept, target)
            for key in keys:
                if key in left:
                    catalog.put(kind.table, key, target, schema_signature(kind.stored_columns))
                else:
                    catalog.drop(kind.table, key)
            dirty.setdefault(kind.table, set()).update(keys)
            removed, blanked = removed + mine, blanked + naming_rows
        if found:
            days = sorted(k for k in dirty[kind.table] if k)
            span = (
                (date.fromisoformat(days[0]), date.fromisoformat(days[-1]))
                if days
                else (None, None)
            )
            drops.append(Drop("records", kind.table, *span, len(found), removed, reason="erasure"))
            if blanked:
                say(f"{kind.table}: {blanked} records of others naming them blanked")
    return dirty, drops


def _typed_rows(files: list[str], columns: dict[str, str]) -> str:
    """SQL: the rows of record files with every declared column, typed (a file written
    before a column was declared gives it as null), and the file's name."""
    nulls = ", ".join(f"null::{t} as {quote_ident(c)}" for c, t in columns.items())
    return (
        f"(select * from read_parquet({storage.sql_list(files)}, filename = true, "
        f"union_by_name = true, hive_partitioning = false) "
        f"union all by name select {nulls} where false)"
    )


def _erase_line(judge: Judge, line: bytes) -> bytes | None:
    """A raw line without the person: b"" for a line of theirs (or one not JSON that names
    them), the line with its naming values blanked (every other byte kept), or None when it
    is not about them."""
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        text = line.decode("utf-8", "replace")
        return b"" if judge.names_value(text) else None
    if isinstance(parsed, dict) and judge.owns(parsed):
        return b""
    values = set(judge.naming(parsed))
    if not values:
        return None
    erased = people.blank(parsed, values)
    new = line
    for value in values:
        new = new.replace(orjson.dumps(value), b'""')
    try:
        if orjson.loads(new) == erased:
            return new
    except orjson.JSONDecodeError:
        pass
    return orjson.dumps(erased)  # written with escapes: the line anew


@dataclass
class RawRewrite:
    relative: str
    dest: Path
    temporary: Path
    removed: int = 0
    blanked: int = 0


def _rewrite_raw(raw: Path, person: Person, sources, say) -> list[RawRewrite]:
    """Every raw file holding a line about the person, written again beside itself."""
    done = []
    by_kind: dict[str, list] = {}
    for source in sources:
        for raw_file in discover(raw, source).files:
            by_kind.setdefault(raw_file.kind.table, []).append(raw_file)
    for table in people.ordered_tables():
        judge = Judge(person, table)
        pattern = people.mentions(person, records.BY_TABLE[table].source)
        needles = re.compile(pattern.encode()) if pattern else None
        for raw_file in by_kind.get(table, []) if needles else []:
            changes: dict[int, bytes] = {}
            for block in read_blocks(raw_file.path):
                if not needles.search(block.data):
                    continue
                for offset, line in enumerate(block.data.split(b"\n")):
                    if line and needles.search(line):
                        new = _erase_line(judge, line)
                        if new is not None:
                            changes[block.first + offset] = new
            if changes:
                say(f"rewriting {raw_file.relative}")
                done.append(_write_raw(raw_file.path, raw_file.relative, changes))
    return done


def _write_raw(path: Path, relative: str, changes: dict[int, bytes]) -> RawRewrite:
    """The file's bytes with the changed lines, beside it (gzip stays gzip), its mtime kept."""
    import gzip

    rewrite = RawRewrite(relative, path, storage.erasure_temporary(path))
    rewrite.removed = sum(1 for new in changes.values() if new == b"")
    rewrite.blanked = len(changes) - rewrite.removed
    parts = []
    for block in read_blocks(path):
        lines = block.data.split(b"\n")
        for offset in range(len(lines)):
            lines[offset] = changes.get(block.first + offset, lines[offset])
        parts.append(b"\n".join(lines))
    data = b"".join(parts)
    with open(rewrite.temporary, "wb") as handle:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as out:
                out.write(data)
        else:
            handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    stat = path.stat()
    os.utime(rewrite.temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return rewrite


def _manifest(con, catalog: Catalog, rewrites: list[RawRewrite], run_id: str) -> None:
    """The rewritten files the manifest held as ingested, unchanged: their new size and
    fingerprint (the next ingest skips them; one changed since is still read again)."""
    storage.attach_views(con, catalog, [INGESTED_FILES.name])
    known = {
        path: (size, mtime, lines)
        for path, size, mtime, lines in con.execute(
            "select path, size, mtime_ns, lines_read from ingested_files"
        ).fetchall()
    }
    rows = []
    for rewrite in rewrites:
        stat = rewrite.dest.stat()
        size, mtime, lines = known.get(rewrite.relative, (None, None, None))
        if (size, mtime) == (stat.st_size, stat.st_mtime_ns):
            new = rewrite.temporary.stat()
            rows.append(
                {
                    "path": rewrite.relative,
                    "size": new.st_size,
                    "mtime_ns": new.st_mtime_ns,
                    "fingerprint": fingerprint(rewrite.temporary),
                    "status": "erased",
                    "lines_read": lines,
                    "run_id": run_id,
                }
            )
    if rows:
        con.register("erased_files", pa.Table.from_pylist(rows))
        INGESTED_FILES.write(con, catalog, "select * from erased_files", run_id)


def _rewrite_rejects(con, catalog: Catalog, person: Person, run_id: str) -> int:
    """Rejected lines about the person: theirs dropped, others' naming values blanked
    (judged as raw lines); returns how many changed."""
    judges: dict[str, Judge] = {}
    changed = 0
    by_day: dict[str, list[str]] = {}
    for key in catalog.partitions(REJECTS.name):
        by_day.setdefault(key.partition("/")[0], []).append(key)
    pattern = people.mentions(person)
    for day, keys in sorted(by_day.items()):
        files = [catalog.file(REJECTS.name, key) for key in keys]
        rows = f"select * from read_parquet({storage.sql_list(files)}, union_by_name = true)"
        found = f"select count(*) from ({rows}) where regexp_matches(raw, $pattern)"
        if pattern is None or not con.execute(found, {"pattern": pattern}).fetchall()[0][0]:
            continue
        lines = con.sql(rows).to_arrow_table().to_pylist()
        kept, touched = [], 0
        for row in lines:
            table = f"{row['source']}_{row['kind']}"
            judge = judges.setdefault(table, Judge(person, table))
            new = _erase_line(judge, row["raw"].encode()) if row["raw"] else None
            if new is None:
                kept.append(row)
            elif new:
                kept.append(row | {"raw": new.decode()})
                touched += 1
            else:
                touched += 1
        if not touched:
            continue
        for key in keys:
            catalog.drop(REJECTS.name, key)
        if kept:
            con.register("kept_rejects", pa.Table.from_pylist(kept))
            REJECTS.write(
                con, catalog, "select * from kept_rejects", run_id, date.fromisoformat(day)
            )
        changed += touched
    return changed


def _rewrite_internal(con, catalog: Catalog, person: Person, run_id: str) -> None:
    """The checks' and runs' texts naming the person (a check's detail names a user id)."""
    naming = Naming(person, set(records.SOURCES))
    for internal in (CHECKS, RUNS):
        for key in catalog.partitions(internal.name):
            path = catalog.file(internal.name, key)
            con.execute(
                f"create or replace temp table internal_rows as from read_parquet({sql_literal(path)})"
            )
            present = {row[0] for row in con.execute("describe internal_rows").fetchall()}
            columns = {c: t for c, t in internal.columns.items() if c in present}
            select, names = naming.select(columns)
            (hits,) = con.execute(f"select count(*) from internal_rows where {names}").fetchall()[0]
            if hits:  # the file again, under this erasure's name, in the same partition
                target = catalog.wh.new_file(internal.name, f"{run_id}-{key}", None)
                typed = ", ".join(
                    f"{quote_ident(c)}::{t} as {quote_ident(c)}"
                    if c in present
                    else f"null::{t} as {quote_ident(c)}"
                    for c, t in internal.columns.items()
                )
                storage.copy_to_parquet(
                    con, f"select {typed} from (select {select} from internal_rows)", target
                )
                catalog.put(internal.name, key, target, schema_signature(internal.columns))


def _scrub_final(con, catalog: Catalog, person: Person, run_id: str, say) -> list[Drop]:
    """The partitions the transform cannot build again (before a floor: their records are
    gone) lose the rows naming the person (`-- person:` columns) and naming values."""
    drops = []
    for model in models().values():
        final = floor(catalog, model.name)
        if not model.is_dated or final is None or not catalog.has_files(model.name):
            continue
        old = {key for key in catalog.partitions(model.name) if key < str(final)}
        if not old:
            continue
        files = storage.partition_files_sql(
            catalog.files(model.name, old), model.partition, catalog.uniform(model.name), old
        )
        con.execute(f"create or replace temp table final_rows as {files}")
        columns = {name: type_ for name, type_, *_ in con.execute("describe final_rows").fetchall()}
        theirs = (
            " or ".join(
                f"coalesce({quote_ident(c)}::varchar in (select key from person_keys), false)"
                for c in model.person
            )
            or "false"
        )
        naming = Naming(person, {s for s in records.SOURCES})
        select, names = naming.select(columns, {model.partition})
        (hits,) = con.execute(
            f"select count(*) from final_rows where {theirs} or {names}"
        ).fetchall()[0]
        if not hits:
            continue
        say(f"erasing them from {model.name} before {final}")
        con.execute(
            f"create or replace temp table model_rows as select {select} from final_rows "
            f"where not ({theirs})"
        )
        write_partitions(con, catalog, model, run_id, old, None, catalog.models[model.name])
        drops.append(
            Drop(
                "facts" if model.layer == "facts" else "records",
                model.name,
                count_rows=hits,
                reason="erasure",
            )
        )
    return drops


def _report_sets(
    catalog: Catalog, settings: Settings, run_id: str, say
) -> tuple[str | None, list[str]]:
    """Every kept report set computed again, as of its own now, under a new name (its
    run's, then this erasure's); returns the live one's new name and all new names."""
    wh = catalog.wh
    live = wh.reports.resolve().name if wh.reports.is_symlink() else None
    new_live, names = None, []
    for folder in storage.report_sets(wh):
        manifest = storage.reports_manifest(folder)
        if not manifest.is_file():
            continue  # not a complete set: removed with the others
        now = datetime.fromisoformat(orjson.loads(manifest.read_bytes())["now"])
        name = f"{folder.name.split('~')[0]}~{run_id}"
        say(f"publishing the report set of {folder.name} again")
        publish(catalog, settings, now, name, datetime.now(UTC))
        names.append(name)
        if folder.name == live:
            new_live = name
    return new_live, names


# ------------------------------------------------------------------ forget


def forget(
    settings: Settings,
    wh: storage.Warehouse,
    users: list[str],
    source: str | None = None,
    raw: Path | None = None,
    progress: Progress | None = None,
) -> Erasure:
    """Erase the person the users name (ids, usernames, e-mail addresses) from every layer,
    in every product or `source`'s; NotFound when a value names no one."""
    say = progress or (lambda _message: None)
    key = forgetting_key(settings, wh)  # a bad key fails before any work
    raw = raw or settings.raw or wh.default_raw
    sources = [source] if source else list(records.SOURCES)
    with wh.lock():
        completed = journal.complete(wh, say)
        catalog = Catalog.load(wh)
        storage.clean_leftovers(wh, catalog.past_reports)
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-erasure"
        erasure = Erasure(run_id, completed_before=completed)
        con = storage.open_warehouse(wh, catalog, [k.table for k in records.KINDS])
        try:
            try:
                person = _find(con, users, sources)
            except NotFound:
                if completed:
                    return erasure  # the erasure asked before, now complete
                raise
            erasure.found = {k: len(v) for k, v in person.keys.items()}
            _closure(con, person, sources)
            _register(con, person)
            dirty, erasure.drops = _rewrite_records(con, catalog, person, sources, run_id, say)
            say("reading the raw files")
            journal.prepare(wh, raw)
            rewrites = _rewrite_raw(raw, person, sources, say)
            _manifest(con, catalog, rewrites, run_id)
            rejected = _rewrite_rejects(con, catalog, person, run_id)
            _rewrite_internal(con, catalog, person, run_id)
            built = build_facts(wh, settings, say, catalog, run_id, dirty)
            erasure.partitions_rebuilt = built.partitions_written
            _register(con, person)
            erasure.drops += _scrub_final(con, catalog, person, run_id, say)
            for source_name in sources:
                mine = [r for r in rewrites if r.relative.startswith(f"{source_name}/")]
                if mine:
                    erasure.drops.append(
                        Drop(
                            "raw",
                            f"{source_name} raw files",
                            count_files=len(mine),
                            count_rows=sum(r.removed for r in mine),
                            reason="erasure",
                        )
                    )
            if rejected:
                erasure.drops.append(
                    Drop("records", REJECTS.name, count_rows=rejected, reason="erasure")
                )
            record(con, catalog, run_id, erasure.drops)
        finally:
            con.close()
        live, kept_sets = _report_sets(catalog, settings, run_id, say)
        erasure.report_sets = len(kept_sets)
        forgotten = Forgotten.load(wh) or Forgotten(*key)
        for kind, values in person.keys.items():
            for value in values:
                forgotten.add(kind, value)
        say("deciding the erasure")
        journal.write(
            wh,
            run_id,
            catalog.body(run_id),
            live,
            kept_sets,
            [(r.temporary, r.dest) for r in rewrites],
            forgotten.body(),
        )
        journal.complete(wh, say)
    return erasure
