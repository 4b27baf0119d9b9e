"""Coder's 30-minute rollup held in arrays for the insights' windows: read once per session
(`serve`: once per committed run, with the session, so a request never sees two runs) by
two report models (rpt_coder_usage_held, rpt_coder_users_held), then every window is
array arithmetic over the rows it holds, with Coder's rules (endpoints.md, Coder v2):

- the rows of a request: start_time >= S, end_time <= E, of its templates (none: all);
- a user's minutes of a half hour summed over templates and capped at 30, per metric;
- distinct users and templates per interval of a window (on half-hour bounds, unions of
  each half hour's users held as bits: HalfHourSets);
- PostgreSQL's percentile_cont of a user's median latencies (pg_percentile_cont's
  arithmetic, in doubles: the value at a whole position, else lo + d * (hi - lo)).

A request costs array passes over the rows (no SQL to parse, bind or plan): a DuckDB query
of the same rows costs 15-40 ms on one thread, mostly planning its CTEs and list
aggregates; these arrays answer in a fraction of a millisecond at 300 users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import duckdb
import numpy as np

from pipelines.endpoints.base import report_sql

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CAP = 30  # minutes of a half hour
MINUTE_TYPES = ("ssh", "sftp", "reconnecting_pty", "vscode", "jetbrains")
# Distinct (interval, user) pairs are marked in an intervals x users table up to this
# many cells (a window of thousands of daily intervals counts them by sorting instead).
MARKED_CELLS = 20_000_000
HALF_HOUR = 30 * 60 * 1_000_000  # microseconds
KEPT_CATALOGUES = 16
# The users of each half hour and template are held as bits up to this many 64-bit words
# (64 MB; 60 days of 3,000 users and 6 templates take 6.5 MB).
HELD_WORDS = 8_000_000
NO_IDS = np.array([], dtype=object)


def microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def codes_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values (ids) and each value's code (its index among them)."""
    distinct, codes = np.unique(values.astype(object), return_inverse=True)
    return distinct, codes.astype(np.int64)


def current_versions(versions: dict[str, np.ndarray], now: datetime) -> np.ndarray:
    """Which of a held model's versions are current at now: valid_from <= now < valid_to
    (as_of)."""
    at = microseconds(now)
    return (versions["valid_from_us"] <= at) & (versions["valid_to_us"] > at)


def codes_among(ids: np.ndarray, wanted) -> np.ndarray:
    """Per wanted id, its code among the sorted `ids` (-1: not among them)."""
    wanted = np.asarray(wanted, dtype=object)
    if not len(ids):
        return np.full(len(wanted), -1, dtype=np.int64)
    codes = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return np.where(ids[codes] == wanted, codes, -1).astype(np.int64)


def known_codes(ids: np.ndarray, wanted: list[str]) -> np.ndarray:
    """The codes of those of `wanted` that are among the sorted `ids`."""
    codes = codes_among(ids, wanted)
    return codes[codes >= 0]


def distinct_pairs(groups: np.ndarray, items: np.ndarray, n_groups: int, n_items: int):
    """The distinct (group, item) pairs, ordered by group then item: (groups, items)."""
    if n_groups * n_items <= MARKED_CELLS:
        marked = np.zeros(n_groups * n_items, dtype=bool)
        marked[groups * n_items + items] = True
        pairs = np.flatnonzero(marked)
    else:
        pairs = np.unique(groups * n_items + items)
    return pairs // n_items, pairs % n_items


def columns_of(con: duckdb.DuckDBPyConnection, report: str) -> dict[str, np.ndarray]:
    """A report model's columns as arrays."""
    columns = con.execute(report_sql(report)).fetchnumpy()
    return {name: np.asarray(values) for name, values in columns.items()}


@dataclass(frozen=True)
class Catalogue:
    """The app catalogue as of an instant, for matching the rollup's app minutes: its
    entries (slug, display name, icon), ordered as the answer lists them (bytewise), and
    per (template code, app key code) the entry it names (-1: none)."""

    entries: list[tuple[str, str, str]]
    entry_of: np.ndarray

    @classmethod
    def of(cls, rollup: Rollup, found: list[dict]) -> Catalogue:
        named = {(r["slug"], r["display_name"], r["icon"]) for r in found}
        entries = sorted(named, key=lambda e: tuple(part.encode() for part in e))
        number = {entry: n for n, entry in enumerate(entries)}
        templates = {t: n for n, t in enumerate(rollup.template_ids.tolist())}
        keys = {k: n for n, k in enumerate(rollup.app_keys.tolist())}
        entry_of = np.full((len(templates), len(keys)), -1, dtype=np.int64)
        for r in found:
            if r["template_id"] in templates and r["slug"] in keys:
                entry = number[r["slug"], r["display_name"], r["icon"]]
                entry_of[templates[r["template_id"]], keys[r["slug"]]] = entry
        return cls(entries, entry_of)


@dataclass(frozen=True)
class HalfHourSets:
    """Per half hour of the rollup's span (from its first row's) and template, the users
    with a row, as bits (user code c: bit c % 64 of word c // 64); and the same over all
    templates. The distinct users and templates of an interval on half-hour bounds are a
    union of its half hours' sets and a bit count: a day costs 48 unions of a few words a
    user, not a pass over its rows."""

    first_us: int
    users: np.ndarray  # (half hours, templates, words), uint64
    any_template: np.ndarray  # (half hours, words): the union over templates
    templates: np.ndarray  # (half hours, templates): whether the template has a row

    @classmethod
    def of(cls, rows: dict[str, np.ndarray], n_users: int, n_templates: int) -> HalfHourSets | None:
        """The sets of the rows (ordered by start), or None when a row is not one half
        hour on half-hour bounds, or the sets would pass HELD_WORDS."""
        starts, ends = rows["start_us"], rows["end_us"]
        if not len(starts) or np.any(ends - starts != HALF_HOUR) or np.any(starts % HALF_HOUR):
            return None
        first = int(starts[0])
        span, words = (int(starts[-1]) - first) // HALF_HOUR + 1, -(-n_users // 64)
        if span * n_templates * words > HELD_WORDS:
            return None
        users = rows["user"]
        slots = ((starts - first) // HALF_HOUR * n_templates + rows["template"]) * words
        bits = np.zeros(span * n_templates * words, dtype=np.uint64)
        np.bitwise_or.at(bits, slots + users // 64, np.uint64(1) << (users % 64).astype(np.uint64))
        bits = bits.reshape(span, n_templates, words)
        return cls(first, bits, np.bitwise_or.reduce(bits, axis=1), (bits != 0).any(axis=2))

    def intervals(
        self, bounds: list[int], templates: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per interval between consecutive `bounds` (microseconds on half-hour bounds,
        ascending) of the rows of `templates` (codes; None: all): its distinct users and,
        per template, whether it has a row."""
        span = len(self.users)
        cut = np.clip((np.array(bounds, dtype=np.int64) - self.first_us) // HALF_HOUR, 0, span)
        count = len(bounds) - 1
        active = np.zeros(count, dtype=np.int64)
        used = np.zeros((count, self.templates.shape[1]), dtype=bool)
        filled = np.flatnonzero(cut[1:] > cut[:-1])  # intervals with half hours of the span
        if not len(filled):
            return active, used
        a, b = cut[filled[0]], cut[filled[-1] + 1]
        starts = cut[filled] - a
        if templates is None:
            users, present = self.any_template[a:b], self.templates[a:b]
        else:
            wanted = np.zeros(self.templates.shape[1], dtype=bool)
            wanted[templates] = True
            users = np.bitwise_or.reduce(self.users[a:b][:, wanted], axis=1)
            present = self.templates[a:b] & wanted
        unions = np.bitwise_or.reduceat(users, starts, axis=0)
        active[filled] = np.bitwise_count(unions).sum(axis=1, dtype=np.int64)
        used[filled] = np.logical_or.reduceat(present, starts, axis=0)
        return active, used


@dataclass(frozen=True)
class Rollup:
    """The rows of fct_coder_usage_30m ordered by (start_time, user_id, template_id), users
    and templates as codes into their sorted ids (coder_rollup_codes: no string a row is
    read), and every version of every user."""

    rows: dict[str, np.ndarray]
    user_ids: np.ndarray  # a user code's id (ascending)
    template_ids: np.ndarray
    by_latency: np.ndarray  # the rows with a latency, ordered by (user, latency)
    latency_rank: np.ndarray  # per row, its place in by_latency (-1: no latency)
    versions: dict[str, np.ndarray]  # rpt_coder_users_held, user as a code (-1: no rows)
    half_hour: np.ndarray  # per row, its (start_time, user) run's number
    apps: dict[str, np.ndarray]  # rpt_coder_app_usage_held, the app key as a code
    app_keys: np.ndarray
    catalogue_changes: np.ndarray  # rpt_coder_app_versions_held
    sets: HalfHourSets | None  # the users of each half hour and template
    catalogues: dict = field(default_factory=dict)  # Catalogue by catalogue_changes passed

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Rollup:
        rows = columns_of(con, "rpt_coder_usage_held")
        rows["user"] = rows.pop("user_code").astype(np.int64)
        rows["template"] = rows.pop("template_code").astype(np.int64)
        ids = con.execute(report_sql("rpt_coder_rollup_ids_held")).fetchnumpy()
        of_kind = dict(zip(ids["kind"].tolist(), ids["ids"], strict=True))
        user_ids, template_ids = (of_kind.get(k, NO_IDS) for k in ("user", "template"))
        with_latency = np.flatnonzero(rows["has_latency"])
        order = np.lexsort((rows["latency_ms"][with_latency], rows["user"][with_latency]))
        versions = columns_of(con, "rpt_coder_users_held")
        versions["user"] = codes_among(user_ids, versions.pop("user_id"))
        starts, users = rows["start_us"], rows["user"]
        changes = (starts[1:] != starts[:-1]) | (users[1:] != users[:-1])
        half_hour = np.cumsum(np.concatenate(([True], changes))) - 1 if len(starts) else starts
        apps = columns_of(con, "rpt_coder_app_usage_held")
        app_keys, apps["key"] = codes_of(apps.pop("app_key"))
        # Each app row's rollup row: the same (start, user, template), as one number.
        instants = np.unique(starts)
        size = len(user_ids) * len(template_ids)

        def position(start, user, template):
            return np.searchsorted(instants, start) * size + user * len(template_ids) + template

        apps["row"] = np.searchsorted(
            position(starts, users, rows["template"]),
            position(
                apps.pop("start_us"),
                apps.pop("user_code").astype(np.int64),
                apps.pop("template_code").astype(np.int64),
            ),
        )
        changed = columns_of(con, "rpt_coder_app_versions_held")["changed_us"]
        by_latency = with_latency[order]
        latency_rank = np.full(len(starts), -1, dtype=np.int64)
        latency_rank[by_latency] = np.arange(len(by_latency))
        return cls(
            rows,
            user_ids,
            template_ids,
            by_latency,
            latency_rank,
            versions,
            half_hour,
            apps,
            app_keys,
            changed,
            HalfHourSets.of(rows, len(user_ids), len(template_ids)),
        )

    def catalogue(self, now: datetime, read: Callable[[], list[dict]]) -> Catalogue:
        """The app catalogue as of now (`read`: rpt_coder_app_catalogue's rows), read once
        for all the instants between the same two version changes."""
        passed = int(np.searchsorted(self.catalogue_changes, microseconds(now), "right"))
        if passed not in self.catalogues:
            if len(self.catalogues) >= KEPT_CATALOGUES:
                self.catalogues.clear()
            self.catalogues[passed] = Catalogue.of(self, read())
        return self.catalogues[passed]

    def window(self, start: datetime, end: datetime, template_ids: list[str]) -> Window:
        """The rows of a request: start_time >= start, end_time <= end, of template_ids
        (none: all), in the rows' order."""
        first, last = microseconds(start), microseconds(end)
        starts = self.rows["start_us"]
        lo, hi = np.searchsorted(starts, first, "left"), np.searchsorted(starts, last, "right")
        keep = self.rows["end_us"][lo:hi] <= last
        if template_ids:
            keep &= np.isin(
                self.rows["template"][lo:hi], known_codes(self.template_ids, template_ids)
            )
        return Window(self, lo + np.flatnonzero(keep))

    def intervals(
        self, start: datetime, end: datetime, template_ids: list[str], step_days: int
    ) -> list[dict]:
        """The window's intervals from start stepping step_days days while they start
        before end (the last ends at end), zero-filled: the distinct users and templates
        of the rows that start in one and end by its end. On half-hour bounds from the
        half hours' sets; else from the window's rows (Window.intervals)."""
        step = timedelta(days=step_days)
        count = -(-(end - start) // step) if end > start else 0
        bounds = [start + k * step for k in range(count)]
        ends = [min(b + step, end) for b in bounds]
        edges = [microseconds(b) for b in bounds[:1] + ends]
        if not count:
            return []
        if self.sets is None or any(edge % HALF_HOUR for edge in edges):
            return self.window(start, end, template_ids).intervals(start, end, step_days)
        wanted = known_codes(self.template_ids, template_ids) if template_ids else None
        active, used = self.sets.intervals(edges, wanted)
        named: dict[bytes, list[str]] = {}  # the template ids of each set of templates
        for row in used:
            if row.tobytes() not in named:
                named[row.tobytes()] = self.template_ids[row].tolist()
        return [
            {
                "start_time": bounds[k],
                "end_time": ends[k],
                "template_ids": list(named[used[k].tobytes()]),
                "active_users": int(active[k]),
            }
            for k in range(count)
        ]

    def names(self, now: datetime) -> tuple[np.ndarray, np.ndarray]:
        """Per user code, the username and avatar URL of its version current at now ("":
        none, or unset)."""
        v = self.versions
        current = current_versions(v, now) & (v["user"] >= 0)
        usernames = np.full(len(self.user_ids), "", dtype=object)
        avatars = np.full(len(self.user_ids), "", dtype=object)
        usernames[v["user"][current]] = [u or "" for u in v["username"][current].tolist()]
        avatars[v["user"][current]] = [a or "" for a in v["avatar_url"][current].tolist()]
        return usernames, avatars


@dataclass(frozen=True)
class Window:
    """The rows of one request, as indexes into the rollup's rows (ascending)."""

    rollup: Rollup
    index: np.ndarray

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        return {}

    def column(self, name: str) -> np.ndarray:
        """A column of the rollup's rows, the window's rows only (taken once)."""
        if name not in self._columns:
            self._columns[name] = self.rollup.rows[name][self.index]
        return self._columns[name]

    @cached_property
    def _half_hours(self) -> np.ndarray:
        """Where each (half hour, user) run of the window's rows starts."""
        starts, users = self.column("start_us"), self.column("user")
        changes = (starts[1:] != starts[:-1]) | (users[1:] != users[:-1])
        return np.flatnonzero(np.concatenate(([True], changes))) if len(starts) else starts

    def capped(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Per (half hour, user) of the window: the user's code and its minutes of
        `metric` (`usage`, `ssh`, ...) summed over templates and capped at 30."""
        first = self._half_hours
        if not len(first):
            return first, first
        minutes = np.add.reduceat(self.column(f"{metric}_mins"), first)
        return self.column("user")[first], np.minimum(minutes, CAP)

    def templates(self, where: np.ndarray | None = None) -> list[str]:
        """The distinct template ids of the window's rows (those where `where`), sorted."""
        codes = self.column("template")
        used = np.bincount(codes if where is None else codes[where], minlength=1)
        return self.rollup.template_ids[np.flatnonzero(used)].tolist()

    def active_users(self) -> int:
        return int(np.count_nonzero(np.bincount(self.column("user"), minlength=1)))

    def seconds(self, metric: str) -> int:
        """60 x the capped minutes of `metric` over every (half hour, user)."""
        return int(self.capped(metric)[1].sum()) * 60

    def users(self, now: datetime, measure: str) -> list[dict]:
        """One entry per user with rows, ordered by user id, in the answer's order: its
        templates, id, username and avatar URL as of now, and the report's measure:
        `seconds` (the capped usage) or `latency_ms` (the 50th and 95th percentile of its
        rows' median latencies, -1 without one); only that measure is computed."""
        rollup = self.rollup
        n_users, n_templates = len(rollup.user_ids), len(rollup.template_ids)
        pair_users, pair_templates = distinct_pairs(
            self.column("user"), self.column("template"), n_users, n_templates
        )
        present = np.unique(pair_users)
        bounds = np.searchsorted(pair_users, np.append(present, n_users)).tolist()
        if measure == "seconds":
            group_users, minutes = self.capped("usage")
            seconds = np.bincount(group_users, weights=minutes, minlength=n_users)
            measures = [{"seconds": s} for s in (seconds[present].astype(np.int64) * 60).tolist()]
        else:
            p50, p95 = self._latencies(n_users)
            measures = [
                {"latency_ms": {"p50": a, "p95": b}}
                for a, b in zip(p50[present].tolist(), p95[present].tolist(), strict=True)
            ]
        usernames, avatars = rollup.names(now)
        templates = rollup.template_ids[pair_templates].tolist()
        columns = zip(
            rollup.user_ids[present].tolist(),
            usernames[present].tolist(),
            avatars[present].tolist(),
            measures,
            strict=True,
        )
        return [
            {
                "template_ids": templates[bounds[i] : bounds[i + 1]],
                "user_id": user_id,
                "username": username,
                "avatar_url": avatar,
                **measured,
            }
            for i, (user_id, username, avatar, measured) in enumerate(columns)
        ]

    @cached_property
    def inside(self) -> np.ndarray:
        """Per row of the rollup, whether it is one of the window's."""
        inside = np.zeros(len(self.rollup.rows["start_us"]), dtype=bool)
        inside[self.index] = True
        return inside

    def _latencies(self, n_users: int) -> tuple[np.ndarray, np.ndarray]:
        """Per user code, PostgreSQL's percentile_cont(0.5) and (0.95) of the median
        latencies of its rows in the window (-1 when none)."""
        rollup = self.rollup
        ranks = rollup.latency_rank[self.index]
        rows = rollup.by_latency[np.sort(ranks[ranks >= 0])]  # by (user, latency)
        values, users = rollup.rows["latency_ms"][rows], rollup.rows["user"][rows]
        counts = np.bincount(users, minlength=n_users)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        measured = counts > 0
        results = []
        for fraction in (0.5, 0.95):
            result = np.full(n_users, -1.0)
            n, offset = counts[measured], offsets[measured]
            position = fraction * (n - 1).astype(np.float64)
            below, above = np.floor(position), np.ceil(position)
            lo = values[offset + below.astype(np.int64)]
            hi = values[offset + above.astype(np.int64)]
            result[measured] = np.where(below == above, lo, lo + (position - below) * (hi - lo))
            results.append(result)
        return results[0], results[1]

    def intervals(self, start: datetime, end: datetime, step_days: int) -> list[dict]:
        """Intervals from start stepping step_days days while they start before end (the
        last ends at end), zero-filled: the distinct users and templates of the rows that
        start in one and end by its end."""
        step = timedelta(days=step_days)
        count = -(-(end - start) // step) if end > start else 0
        bounds = [start + k * step for k in range(count)]
        ends = [min(b + step, end) for b in bounds]
        starts = self.column("start_us") - microseconds(start)
        placed = starts // (step // timedelta(microseconds=1))
        ends_us = np.array([microseconds(e) for e in ends], dtype=np.int64)
        inside = placed < count
        inside[inside] = self.column("end_us")[inside] <= ends_us[placed[inside]]
        placed = placed[inside]
        rollup = self.rollup
        user_intervals, _ = distinct_pairs(
            placed, self.column("user")[inside], count, len(rollup.user_ids)
        )
        active = np.bincount(user_intervals, minlength=count)
        template_intervals, templates = distinct_pairs(
            placed, self.column("template")[inside], count, len(rollup.template_ids)
        )
        cuts = np.searchsorted(template_intervals, np.arange(count + 1))
        names = rollup.template_ids[templates]
        return [
            {
                "start_time": bounds[k],
                "end_time": ends[k],
                "template_ids": names[cuts[k] : cuts[k + 1]].tolist(),
                "active_users": int(active[k]),
            }
            for k in range(count)
        ]

    def apps(self, catalogue: Catalogue) -> list[dict]:
        """One entry per catalogue app (slug, display name, icon) used in the window, in
        the catalogue's order: the templates it was used in, its seconds (a user's minutes
        of it per half hour summed over templates and capped at 30) and times_used (per
        user, the runs of consecutive half hours with use, summed over users)."""
        rollup, apps = self.rollup, self.rollup.apps
        used = self.inside[apps["row"]]
        rows, minutes = apps["row"][used], apps["app_mins"][used]
        entries = catalogue.entry_of[rollup.rows["template"][rows], apps["key"][used]]
        named = entries >= 0
        rows, minutes, entries = rows[named], minutes[named], entries[named]
        count = len(catalogue.entries)
        # Per (half hour and user, entry): the minutes over templates, capped.
        keys = rollup.half_hour[rows] * count + entries
        order = np.argsort(keys, kind="stable")
        distinct, first = np.unique(keys[order], return_index=True)
        capped = np.minimum(np.add.reduceat(minutes[order], first), CAP) if len(first) else first
        entry = distinct % count if count else distinct
        seconds = np.bincount(entry, weights=capped, minlength=count).astype(np.int64) * 60
        # Runs: per (user, entry) its half hours in order; a run starts where the one
        # before is not 30 minutes earlier.
        row = np.searchsorted(rollup.half_hour, distinct // count if count else distinct)
        users, starts = rollup.rows["user"][row], rollup.rows["start_us"][row]
        by_user = np.lexsort((starts, entry, users))
        users, entry_runs, starts = users[by_user], entry[by_user], starts[by_user]
        new_run = np.ones(len(starts), dtype=bool)
        new_run[1:] = (
            (users[1:] != users[:-1])
            | (entry_runs[1:] != entry_runs[:-1])
            | (starts[1:] - starts[:-1] != HALF_HOUR)
        )
        times_used = np.bincount(entry_runs[new_run], minlength=count)
        pair_entries, pair_templates = distinct_pairs(
            entries, rollup.rows["template"][rows], count, len(rollup.template_ids)
        )
        cuts = np.searchsorted(pair_entries, np.arange(count + 1))
        names = rollup.template_ids[pair_templates]
        return [
            {
                "template_ids": names[cuts[e] : cuts[e + 1]].tolist(),
                "slug": slug,
                "display_name": display,
                "icon": icon,
                "seconds": int(seconds[e]),
                "times_used": int(times_used[e]),
            }
            for e, (slug, display, icon) in enumerate(catalogue.entries)
            if cuts[e + 1] > cuts[e]
        ]
