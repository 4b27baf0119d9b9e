"""The forgotten list (<warehouse>/forgotten.json): what keeps an erased person out of later
ingests, holding only keyed hashes (HMAC-SHA256 with the key flows.yaml `privacy.key_env`
names), never an identifier.

`forget` adds the hash of each of the person's keys (people.py: their user ids, and the
keys of what hung from them). The ingest drops every record whose owning field hashes into
the list (people.OWNS), and blanks a declared naming field that does (people.NAMED); a
dropped record's yielded key (a new workspace of theirs) joins the list, so what hangs from
it stays out too. Records come back when a product still holds them: a collect lands them
again in the raw tree (the product's own data, as the product keeps it), the ingest keeps
them out of the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import records, storage
from pipelines.config_errors import ConfigError, environment
from pipelines.privacy import people
from pipelines.privacy.keys import keyed_hash
from pipelines.privacy.people import DIRECT, DIRECT_MEMBERS, NAMED, OWNS, YIELDS
from pipelines.storage import quote_ident, sql_list

CHECK = "usage-warehouse forgotten list"  # what the key check hashes


@dataclass
class Forgotten:
    key: bytes
    key_env: str | None  # None: the key is the warehouse's forgotten.key
    hashes: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)  # by this ingest: keys yielded by dropped rows
    seen: dict[tuple[str, str], bool] = field(default_factory=dict)  # (kind, value) -> forgotten

    @classmethod
    def load(cls, wh: storage.Warehouse, key: bytes | None = None) -> Forgotten | None:
        """The warehouse's list (None when nothing was ever forgotten); its key from the
        environment variable the list names, unless given."""
        if not wh.forgotten.is_file():
            return None
        body = orjson.loads(wh.forgotten.read_bytes())
        name = body["key_env"]
        if key is None and name is None:
            if not wh.forgotten_key.is_file():
                raise ConfigError(
                    f"{wh.forgotten_key}: the key of the forgotten list is missing "
                    "(restore it with the warehouse's backup)"
                )
            key = wh.forgotten_key.read_bytes().strip()
        key = key or environment(name, "privacy.key_env").encode()
        if keyed_hash(key, CHECK) != body["key_check"]:
            where = f"privacy.key_env: {name}" if name else str(wh.forgotten_key)
            raise ConfigError(
                f"{where} does not hold the key the forgotten list {wh.forgotten} was made with"
            )
        return cls(key, name, set(body["hashes"]))

    def hash(self, kind: str, value: str) -> str:
        return keyed_hash(self.key, f"{kind}:{value}")

    def add(self, kind: str, value: str) -> None:
        self.hashes.add(self.hash(kind, value))

    def body(self) -> bytes:
        return orjson.dumps(
            {
                "key_env": self.key_env,
                "key_check": keyed_hash(self.key, CHECK),
                "hashes": sorted(self.hashes),
            },
            option=orjson.OPT_INDENT_2,
        )

    def save(self, wh: storage.Warehouse) -> None:
        storage.write_bytes_atomic(wh.forgotten, self.body())

    def _is(self, kind: str, value: str) -> bool:
        known = self.seen.get((kind, value))
        if known is None:
            if kind == DIRECT:  # a direct room: either half a forgotten user's id
                half = len(value) // 2
                member = DIRECT_MEMBERS[DIRECT]
                known = len(value) % 2 == 0 and any(
                    self.hash(member, part) in self.hashes for part in (value[:half], value[half:])
                )
            else:
                known = self.hash(kind, value) in self.hashes
            self.seen[(kind, value)] = known
        return known

    def _named_in(self, con, rows: str, path: str, kind: str) -> str | None:
        """SQL: the value at path (`u._id`: a field of a struct column) is a forgotten key
        of a kind, in rows (a relation; each distinct value hashed once); None when no
        value is."""
        value = f"({'.'.join(map(quote_ident, path.split('.')))})::varchar"
        hits = [
            v
            for (v,) in con.execute(f"select distinct {value} from {rows}").fetchall()
            if v is not None and self._is(kind, v)
        ]
        return f"coalesce(list_contains({sql_list(hits)}, {value}), false)" if hits else None

    def keep_out(self, con, kind: records.RecordKind, rows: str) -> tuple[str | None, dict]:
        """For rows (a relation of the kind's records): the SQL of whether a row is a
        forgotten person's (None when none is), and of each naming field that names one,
        blanked (by name). The keys a dropped row yields join the list."""
        owned = [self._named_in(con, rows, path, k) for path, k in OWNS.get(kind.table, ())]
        dropped = " or ".join(f"({o})" for o in owned if o) or None
        if dropped and kind.table in YIELDS:
            path, key_kind = YIELDS[kind.table]
            for (value,) in con.execute(
                f"select distinct {quote_ident(path)}::varchar from {rows} where {dropped}"
            ).fetchall():
                if value is None:
                    continue
                if (hashed := self.hash(key_kind, value)) not in self.hashes:
                    self.added.add(hashed)
                    self.hashes.add(hashed)
                    self.seen.clear()
        blanked = {}
        for name, key_kind in NAMED.get(kind.table, ()):
            if hit := self._named_in(con, rows, name, key_kind):
                blanked[name] = f"case when {hit} then '' else {quote_ident(name)} end"
        return dropped, blanked

    def keep_rejected(self, kind: records.RecordKind, verdicts: pa.Table) -> tuple[pa.Table, int]:
        """The judge's verdicts without the rejected lines of a forgotten person (a line
        that parses and whose owning field names them); and how many were dropped."""
        rejected = pc.filter(verdicts["raw"], pc.is_valid(verdicts["reason"])).to_pylist()
        theirs = {raw for raw in rejected if self._owns_line(kind.table, raw)}
        if not theirs:
            return verdicts, 0
        drop = pc.is_in(verdicts["raw"], value_set=pa.array(sorted(theirs), pa.string()))
        keep = pc.invert(pc.and_(pc.fill_null(drop, False), pc.is_valid(verdicts["reason"])))
        kept = verdicts.filter(keep)
        return kept, len(verdicts) - len(kept)

    def _owns_line(self, table: str, raw: str) -> bool:
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return False
        return isinstance(record, dict) and any(
            value is not None and self._is(key_kind, str(value))
            for path, key_kind in OWNS.get(table, ())
            for value in [people.field(record, path)]
        )
