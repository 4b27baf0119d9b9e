"""Coder's workspace builds held in arrays for the templates insights' parameters_usage:
read once per session (`serve`: with a committed run's session) by three report models
(rpt_coder_builds_held, rpt_coder_parameters_held, rpt_coder_build_values_held), then a
window is array arithmetic with Coder's rule (endpoints.md): the latest build in [S, E) of
every (template, workspace), its template version's parameters grouped across templates by
(name, type, display_name, description, options), and how many of those builds chose each
value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np

from pipelines.endpoints.base import report_sql
from pipelines.endpoints.coder.rollup import (
    codes_of,
    columns_of,
    distinct_pairs,
    known_codes,
    microseconds,
)

GROUP = ("name", "type", "display_name", "description", "options")


@dataclass(frozen=True)
class Builds:
    """The builds of current template versions ordered by created_at; per build the
    parameter groups of its version (`group_first`: where each build's run of `groups`
    starts) and its values (`value_keys`: build row x name, ascending, beside
    `value_codes`)."""

    builds: dict[str, np.ndarray]
    template_ids: np.ndarray
    groups: list[tuple[str, ...]]  # (name, type, display_name, description, options), sorted
    group_names: np.ndarray  # per group, its name's code
    group_first: np.ndarray
    build_groups: np.ndarray
    names: int  # how many distinct parameter names
    value_keys: np.ndarray
    value_codes: np.ndarray
    values: np.ndarray  # a value code's value (ascending)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Builds:
        builds = columns_of(con, "rpt_coder_builds_held")
        template_ids, builds["template"] = codes_of(builds.pop("template_id"))
        _, builds["workspace"] = codes_of(builds.pop("workspace_id"))
        parameters = columns_of(con, "rpt_coder_parameters_held")
        found = con.execute(report_sql("rpt_coder_build_values_held")).fetchnumpy()
        names, name_codes = codes_of(np.concatenate((parameters["name"], found["name"])))
        groups = sorted(set(zip(*(parameters[c].tolist() for c in GROUP), strict=True)))
        number = {group: n for n, group in enumerate(groups)}
        group_names = np.searchsorted(names, np.array([g[0] for g in groups], dtype=object))
        # Per build, the groups of its version, in build order.
        of_version: dict[str, list[int]] = {}
        for version, *group in zip(
            parameters["template_version_id"].tolist(),
            *(parameters[c].tolist() for c in GROUP),
            strict=True,
        ):
            of_version.setdefault(version, []).append(number[tuple(group)])
        per_build = [of_version.get(v, []) for v in builds.pop("template_version_id").tolist()]
        counts = np.array([len(g) for g in per_build], dtype=np.int64)
        group_first = np.concatenate(([0], np.cumsum(counts)))
        build_groups = np.array([g for gs in per_build for g in gs], dtype=np.int64)
        # The values of the held builds, by (build row, name): each distinct value's rows.
        values, value_codes = codes_of(found["value"])
        chosen = np.array([len(rows) for rows in found["build_rows"]], dtype=np.int64)
        rows = np.concatenate([*found["build_rows"], np.zeros(0, dtype=np.int64)])
        value_codes = np.repeat(value_codes, chosen)
        keys = rows * len(names) + np.repeat(name_codes[len(parameters["name"]) :], chosen)
        order = np.argsort(keys, kind="stable")
        return cls(
            builds,
            template_ids,
            groups,
            group_names,
            group_first,
            build_groups,
            len(names),
            keys[order],
            value_codes[order],
            values,
        )

    def parameters(self, start: datetime, end: datetime, template_ids: list[str]) -> list[dict]:
        """One row per (parameter group, value) of the latest build in [start, end) of every
        (template, workspace) of template_ids (none: all), ordered by the group then the
        value: the group's templates and how many of those builds chose the value."""
        b = self.builds
        created = b["created_us"]
        lo = np.searchsorted(created, microseconds(start), "left")
        hi = np.searchsorted(created, microseconds(end), "left")
        rows = np.arange(lo, hi)
        if template_ids:
            rows = rows[np.isin(b["template"][rows], known_codes(self.template_ids, template_ids))]
        # Build numbers are unique per workspace: the latest is the last by number.
        templates, workspaces = b["template"][rows], b["workspace"][rows]
        order = np.lexsort((b["build_number"][rows], workspaces, templates))
        rows, templates, workspaces = rows[order], templates[order], workspaces[order]
        last = np.ones(len(rows), dtype=bool)
        last[:-1] = (templates[1:] != templates[:-1]) | (workspaces[1:] != workspaces[:-1])
        latest = rows[last]
        # (group, build) for every group of every latest build's version.
        counts = self.group_first[latest + 1] - self.group_first[latest]
        pair_builds = np.repeat(latest, counts)
        starts = np.repeat(self.group_first[latest] - np.cumsum(counts) + counts, counts)
        pair_groups = self.build_groups[starts + np.arange(counts.sum())]
        with_templates, group_templates = distinct_pairs(
            pair_groups, b["template"][pair_builds], len(self.groups), len(self.template_ids)
        )
        # Each (group, build)'s values of the group's name.
        keys = pair_builds * self.names + self.group_names[pair_groups]
        first = np.searchsorted(self.value_keys, keys, "left")
        found = np.searchsorted(self.value_keys, keys, "right") - first
        value_groups = np.repeat(pair_groups, found)
        at = np.repeat(first - np.cumsum(found) + found, found) + np.arange(found.sum())
        chosen, count = np.unique(
            value_groups * len(self.values) + self.value_codes[at], return_counts=True
        )
        cuts = np.searchsorted(with_templates, np.arange(len(self.groups) + 1))
        names = self.template_ids[group_templates]
        return [
            {
                "template_ids": names[cuts[g] : cuts[g + 1]].tolist(),
                **dict(zip(GROUP, self.groups[g], strict=True)),
                "value": self.values[v],
                "count": int(n),
            }
            for g, v, n in zip(
                (chosen // len(self.values)).tolist(),
                (chosen % len(self.values)).tolist(),
                count.tolist(),
                strict=True,
            )
        ]
