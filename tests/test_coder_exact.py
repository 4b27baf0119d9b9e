"""Coder to the last digit, proven in PostgreSQL: every percentile is PostgreSQL's
percentile_cont to the last bit (sql/macros/pg_percentile_cont.sql), and a deployment held
in Coder's own schema answers its parameters' display names as stored.

The inputs below were found by search: on each, DuckDB's quantile_cont (lo * (1 - d) + hi * d)
and PostgreSQL's percentile_cont (lo + d * (hi - lo)) give different doubles. The expected
values are PostgreSQL's, and each test asks the test server for them again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson
import psycopg
import pytest

from pipelines import storage
from pipelines.config import Settings
from pipelines.sqlcatalog import macros
from tests import coder_pg
from tests.coder_fixture import A1, T1, U1, V1, W1, agent
from tests.conftest import MiniWarehouse, collect

# values, fraction, PostgreSQL's percentile_cont (as Python prints the double), DuckDB's
# quantile_cont of the same (None: the two agree).
CASES = [
    ([31.544, 84.982], 0.5, "58.263000000000005", "58.263"),
    ([48.542, 74.629], 0.95, "73.32465", "73.32464999999999"),
    ([52.573, 39.932, 49.48, 3.928], 0.95, "52.109049999999996", "52.10905"),
    # Two agent reports of one half hour: the rollup's median (float4 below).
    ([16.928355505082102, 96.64099950590423], 0.5, "56.78467750549317", "56.784677505493164"),
    # Not interpolated: a whole position (0.95 * 20 is 19.0 in doubles), one value, p 0 and 1.
    ([float(n) + 0.1 for n in range(21)], 0.95, "19.1", None),
    ([7.25], 0.95, "7.25", None),
    ([3.5, 1.25, 2.0], 0.0, "1.25", None),
    ([3.5, 1.25, 2.0], 1.0, "3.5", None),
    # Nulls are left out; no value at all is null.
    ([None, 31.544, None, 84.982], 0.5, "58.263000000000005", "58.263"),
    ([None], 0.5, "None", None),
]


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    for macro in macros().values():
        if macro.name.startswith("pg_percentile"):
            con.execute(macro.sql)
    yield con
    con.close()


@pytest.mark.parametrize(("values", "fraction", "expected", "duckdb_default"), CASES)
def test_percentiles_are_postgresqls_to_the_last_bit(
    postgres, duck, values, fraction, expected, duckdb_default
):
    with psycopg.connect(postgres.dsn()) as conn:
        (theirs,) = conn.execute(
            "select percentile_cont(%s::float8) within group (order by v)"
            " from unnest(%s::float8[]) as v",
            (fraction, values),
        ).fetchone()
    sql = (
        "select pg_percentile_cont(?::double[], ?), quantile_cont(v, ?)"
        " from unnest(?::double[]) as t(v)"
    )
    ours, default = duck.execute(sql, [values, fraction, fraction, values]).fetchone()
    assert repr(theirs) == repr(ours) == expected
    assert repr(default) == (duckdb_default or expected)


NOW = "2023-08-20T00:00:00Z"
DAY = "start_time=2023-08-15T00:00:00Z&end_time=2023-08-16T00:00:00Z"


def _deployment() -> dict[str, list[dict]]:
    """One user in one template: four half hours of SSH with latencies, the first with two
    reports (its median is the case above), and a build with two parameters, one without a
    display name (Coder's column: text not null default '')."""
    ssh = {"workspace": W1, "agent_id": A1, "user": U1, "template": T1, "ssh": 1}
    created = {"created_at": "2023-08-01T00:00:00Z", "updated_at": "2023-08-01T00:00:00Z"}
    return {
        "users": [{"id": U1, "username": "ann", **created}],
        "templates": [
            {"id": T1, "organization_id": coder_pg.NIL, "name": "t1", **created},
        ],
        "template_versions": [{"id": V1, "template_id": T1, "created_at": created["created_at"]}],
        "template_version_parameters": [
            {"template_version_id": V1, "name": "cpu", "type": "number"},
            {
                "template_version_id": V1,
                "name": "region",
                "display_name": "Region",
                "type": "string",
            },
        ],
        "workspaces": [
            {
                "id": W1,
                "owner_id": U1,
                "organization_id": coder_pg.NIL,
                "template_id": T1,
                "name": "w1",
                **created,
            },
        ],
        "workspace_builds": [
            {
                "id": "b0000000-0000-4000-8000-000000000001",
                "workspace_id": W1,
                "template_version_id": V1,
                "build_number": 1,
                "created_at": "2023-08-15T09:00:00Z",
            },
        ],
        "workspace_build_parameters": [
            {"workspace_build_id": "b0000000-0000-4000-8000-000000000001", "name": n, "value": v}
            for n, v in (("cpu", "4"), ("region", "eu"))
        ],
        "workspace_agent_stats": [
            agent("2023-08-15T10:00:00Z", **ssh, latency=16.928355505082102),
            agent("2023-08-15T10:01:00Z", **ssh, latency=96.64099950590423),
            agent("2023-08-15T11:00:00Z", **ssh, latency=97.2),
            agent("2023-08-15T12:00:00Z", **ssh, latency=113.9),
            agent("2023-08-15T13:00:00Z", **ssh, latency=121.3),
        ],
    }


# Coder's user latency over its rollup (coderd's GetUserLatencyInsights computes these).
USER_LATENCY = """
    select
        coalesce(percentile_cont(0.5) within group (order by median_latency_ms), -1)::float8,
        coalesce(percentile_cont(0.95) within group (order by median_latency_ms), -1)::float8
    from template_usage_stats
    where user_id = %s
"""


def test_a_deployment_in_coders_schema_answers_as_coder_does(tmp_path, postgres):
    db = coder_pg.CoderDatabase(postgres.create_database("coder_exact"))
    db.load(_deployment())
    db.rollup()  # tests/pg/coder_rollup.sql: the rollup in PostgreSQL, percentile_cont
    m = MiniWarehouse(tmp_path, Settings())
    collect("coder", db.dsn, m.wh, m.raw, datetime(2023, 8, 16, tzinfo=UTC))
    m.build()
    with psycopg.connect(db.dsn) as conn:
        rollup = conn.execute(
            "select start_time, median_latency_ms::float8 from template_usage_stats order by 1"
        ).fetchall()
        p50, p95 = conn.execute(USER_LATENCY, (U1,)).fetchone()
        (stored,) = conn.execute(
            "select display_name from template_version_parameters where name = 'cpu'"
        ).fetchone()

    # The rollup's median latency, float4: the first half hour's two reports give
    # 56.78467750549317, which rounds up to this float4; quantile_cont's 56.784677505493164
    # is the exact midpoint of two float4s and rounds down to 56.78467559814453.
    con = storage.open_warehouse(m.wh)
    ours = con.execute(
        "select start_time, median_latency_ms::double from fct_coder_usage_30m order by 1"
    ).fetchall()
    default = con.execute(
        "select quantile_cont(v, 0.95) from (select median_latency_ms::double as v"
        " from fct_coder_usage_30m)"
    ).fetchone()[0]
    con.close()
    assert ours == rollup
    assert [latency for _, latency in ours] == [
        56.7846794128418,
        97.19999694824219,
        113.9000015258789,
        121.30000305175781,
    ]

    # User latency: p95 between 113.9f and 121.3f at 0.85 (0.95 * 3 = 2.85), PostgreSQL's
    # arithmetic, byte for byte; quantile_cont would answer 120.19000282287598.
    status, body = m.call(f"api/v2/insights/user-latency?{DAY}", NOW)
    assert status == 200
    (user,) = body["report"]["users"]
    assert orjson.dumps(user["latency_ms"]) == orjson.dumps({"p50": p50, "p95": p95})
    assert (
        orjson.dumps(user["latency_ms"]) == b'{"p50":105.54999923706055,"p95":120.19000282287597}'
    )
    assert repr(default) == "120.19000282287598"

    # Parameters: the display name as Coder stores it, "" where none was given.
    status, body = m.call(f"api/v2/insights/templates?{DAY}&sections=report", NOW)
    assert status == 200
    assert stored == ""
    assert [
        (p["name"], p["display_name"], p["values"]) for p in body["report"]["parameters_usage"]
    ] == [
        ("cpu", "", [{"value": "4", "count": 1}]),
        ("region", "Region", [{"value": "eu", "count": 1}]),
    ]
