"""The OpenAPI description `serve` publishes at /openapi.json (FastAPI's, from the routes
serve.py declares with what this module says of each): every endpoint's query
parameters, its products' authentication schemes, and the bodies it answers, success and
error, as JSON Schema. Schemathesis fuzzes `serve` against it (tests/test_fuzz.py), so a
body that breaks its schema fails the suite."""

from __future__ import annotations

from pipelines.auth import DASHBOARD
from pipelines.endpoints.openl2m import DATABASE, USAGE

INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
STRING = {"type": "string"}
INSTANT = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}
STRINGS = {"type": "array", "items": STRING}


def body(required: dict, optional: dict | None = None) -> dict:
    """A JSON object with exactly these keys (the optional ones may be left out)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


# ---------------------------------------------------------------- error bodies
CODER_ERROR = body(
    {"message": STRING},
    {"detail": STRING, "validations": array(body({"field": STRING, "detail": STRING}))},
)
SEATABLE_ERROR = body({"error_msg": STRING})
ROCKETCHAT_ERROR = body({"success": {"const": False}, "error": STRING})
DRF_REFUSAL = body({"detail": STRING})  # SeaTable's and OpenL2M's Django REST framework
ROCKETCHAT_REFUSAL = body(
    {"success": {"const": False}, "error": STRING, "status": STRING, "message": STRING}
)
OUR_ERROR = body({"error": STRING})  # serve's own: unknown paths, the dashboard's refusal

# ---------------------------------------------------------------- parameters
COMMA_UUIDS = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
}


def or_empty(schema: dict) -> dict:
    """A parameter's values, or the empty string, which means its default."""
    return {"anyOf": [schema, {"const": ""}]}


def query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    parameter = {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }
    if schema.get("type") == "array":  # a comma-separated list, as the products read it
        parameter |= {"style": "form", "explode": False}
    return parameter


CODER_WINDOW = [
    query(
        "start_time",
        INSTANT,
        "RFC 3339, clock 00:00:00 in its own offset, not before 1970, not in the future.",
        True,
    ),
    query(
        "end_time",
        INSTANT,
        "RFC 3339, clock 00:00:00 (any whole hour today), not before start_time.",
        True,
    ),
    query("template_ids", COMMA_UUIDS, "Comma-separated template ids (default: all)."),
]
INSIGHTS_USER = body(
    {
        "template_ids": STRINGS,
        "user_id": STRING,
        "username": STRING,
        "avatar_url": STRING,
    }
)


def users_report(measure: dict) -> dict:
    user = {**INSIGHTS_USER, "properties": {**INSIGHTS_USER["properties"], **measure}}
    user["required"] = [*INSIGHTS_USER["required"], *measure]
    return body(
        {
            "report": body(
                {
                    "start_time": INSTANT,
                    "end_time": INSTANT,
                    "template_ids": STRINGS,
                    "users": array(user),
                }
            )
        }
    )


TEMPLATES = body(
    {},
    {
        "report": body(
            {
                "start_time": INSTANT,
                "end_time": INSTANT,
                "template_ids": STRINGS,
                "active_users": INTEGER,
                "apps_usage": array(
                    body(
                        {
                            "template_ids": STRINGS,
                            "type": {"enum": ["builtin", "app"]},
                            "display_name": STRING,
                            "slug": STRING,
                            "icon": STRING,
                            "seconds": INTEGER,
                            "times_used": INTEGER,
                        }
                    )
                ),
                "parameters_usage": array(
                    body(
                        {
                            "template_ids": STRINGS,
                            "display_name": STRING,
                            "name": STRING,
                            "type": STRING,
                            "description": STRING,
                            "values": array(body({"value": STRING, "count": INTEGER})),
                        },
                        {
                            "options": array(
                                body(
                                    {
                                        "name": STRING,
                                        "description": STRING,
                                        "value": STRING,
                                        "icon": STRING,
                                    }
                                )
                            )
                        },
                    )
                ),
            }
        ),
        "interval_reports": array(
            body(
                {
                    "start_time": INSTANT,
                    "end_time": INSTANT,
                    "template_ids": STRINGS,
                    "interval": {"enum": ["day", "week"]},
                    "active_users": INTEGER,
                }
            )
        ),
    },
)
SEATABLE_DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"}
SCRIPT_RUNS = {"total_run_count": INTEGER, "total_run_time": NUMBER}
OPENL2M_LEAF = body({"label": STRING, "value": INTEGER})
ROCKETCHAT_COUNTS = [
    "totalUsers",
    "activeUsers",
    "nonActiveUsers",
    "onlineUsers",
    "awayUsers",
    "busyUsers",
    "offlineUsers",
    "totalRooms",
    "totalChannels",
    "totalPrivateGroups",
    "totalDirect",
    "totalLivechat",
    "totlalLivechat",
    "totalMessages",
    "totalChannelMessages",
    "totalPrivateGroupMessages",
    "totalDirectMessages",
    "totalLivechatMessages",
]
OBJECT = {"type": "object"}
ROCKETCHAT_SEED = body(  # Rocket.Chat 0.x, the contract's
    {
        "statistics": body(
            {
                "_id": STRING,
                **dict.fromkeys(ROCKETCHAT_COUNTS, INTEGER),
                "createdAt": INSTANT,
                "_updatedAt": INSTANT,
            },
            {
                "uniqueId": STRING,
                "installedAt": INSTANT,
                "version": STRING,
                "lastLogin": INSTANT,
                "lastMessageSentAt": INSTANT,
                "lastSeenSubscription": INSTANT,
                "os": OBJECT,
                "process": OBJECT,
                "deploy": OBJECT,
                "migration": OBJECT,
                "instanceCount": INTEGER,
            },
        ),
        "success": {"const": True},
    }
)
# Rocket.Chat 8.x: IStats flat, plus success. Its counts here; the whole of IStats (about 150
# fields) is checked against Rocket.Chat's own TypeScript types by the suite
# (tests/typecheck/rocketchat), not restated.
ROCKETCHAT_CURRENT = {
    "type": "object",
    "properties": {
        "_id": STRING,
        "success": {"const": True},
        **dict.fromkeys([c for c in ROCKETCHAT_COUNTS if c != "totlalLivechat"], INTEGER),
    },
    "required": ["_id", "success", *(c for c in ROCKETCHAT_COUNTS if c != "totlalLivechat")],
    "not": {"required": ["totlalLivechat"]},
}


def leaves(keys: list[tuple[str, str]]) -> dict:
    """OpenL2M's {key: {label, value}} with each key's own label."""
    return body(
        {
            key: {**OPENL2M_LEAF, "properties": {"label": {"const": label}, "value": INTEGER}}
            for key, label in keys
        }
    )


# Per endpoint (endpoints.ENDPOINTS' paths): a summary, its query parameters, the body
# of a 200, and the body of a 400 (None: it has no parameters to refuse).
ENDPOINTS: dict[str, tuple[str, list[dict], dict, dict | None]] = {
    "api/v2/insights/daus": (
        "Coder: daily active users of the last 60 UTC days",
        [
            query(
                "tz_offset",
                or_empty({**INTEGER, "minimum": -12, "maximum": 14}),
                "Hours east of UTC (default 0).",
            )
        ],
        body(
            {
                "entries": array(body({"date": DAY, "amount": INTEGER})),
                "tz_hour_offset": INTEGER,
            }
        ),
        CODER_ERROR,
    ),
    "api/v2/insights/templates": (
        "Coder: template insights (app usage, parameters, active users per interval)",
        [
            *CODER_WINDOW,
            query("interval", {"enum": ["", "day", "week"]}, "Interval reports by day or week."),
            query(
                "sections",
                {"type": "array", "items": {"enum": ["interval_reports", "report"]}},
                "Comma-separated sections (default: both).",
            ),
        ],
        TEMPLATES,
        CODER_ERROR,
    ),
    "api/v2/insights/user-activity": (
        "Coder: seconds of use per user",
        CODER_WINDOW,
        users_report({"seconds": INTEGER}),
        CODER_ERROR,
    ),
    "api/v2/insights/user-latency": (
        "Coder: connection latency per user (p50, p95)",
        CODER_WINDOW,
        users_report({"latency_ms": body({"p50": NUMBER, "p95": NUMBER})}),
        CODER_ERROR,
    ),
    "api/private/metrics/activity": (
        "Coder (v1 usage metrics): active minutes per user and interval",
        [
            query("start", INSTANT, "RFC 3339, 1970 to 2099.", True),
            query("end", INSTANT, "RFC 3339, 1970 to 2099, not before start.", True),
            query(
                "category",
                {
                    "enum": [
                        "",
                        "any",
                        "ide",
                        "login",
                        "app",
                        "tunnel",
                        "web terminal",
                        "web_terminal",
                    ]
                },
                "What counts as activity (default any).",
            ),
            query(
                "interval",
                {"type": "string", "pattern": r"^(\s*\d+\s+(day|week|month|year)s?\s*)?$"},
                '"N day", "N week", "N month" or "N year", N from 1 to 100000 (default 1 day).',
            ),
            query(
                "org",
                or_empty({"type": "string", "format": "uuid"}),
                "Members of this organization.",
            ),
        ],
        body(
            {
                "activity": array(
                    body(
                        {
                            "time": INSTANT,
                            "duration": INTEGER,
                            "user_activity": array(
                                body({"user_id": STRING, "duration": INTEGER, "count": INTEGER})
                            ),
                        }
                    )
                ),
                "users": {
                    "type": "object",
                    "additionalProperties": body(
                        {
                            "id": STRING,
                            "name": STRING,
                            "username": STRING,
                            "roles": STRINGS,
                            "avatar_hash": STRING,
                            "total_count": INTEGER,
                            "total_duration": INTEGER,
                        }
                    ),
                },
            }
        ),
        CODER_ERROR,
    ),
    "api/v2.1/admin/statistics/active-users": (
        "SeaTable: active users per day",
        [
            query("start", SEATABLE_DATETIME, "First day, YYYY-MM-DD HH:MM:SS.", True),
            query("end", SEATABLE_DATETIME, "Last day (whole), YYYY-MM-DD HH:MM:SS.", True),
        ],
        body({"active_users": array(body({"datetime": INSTANT, "count": INTEGER}))}),
        SEATABLE_ERROR,
    ),
    "api/v2.1/admin/statistics/scripts-running": (
        "SeaTable: script runs per user or organization in a month",
        [
            query("month", {"type": "string", "pattern": r"^\d{6}$"}, "YYYYMM (default: now's)."),
            query(
                "is_user",
                {
                    "type": "string",
                    "pattern": "^([tT]([rR][uU][eE])?|[fF]([aA][lL][sS][eE])?|1|0)?$",
                },
                "true: per user; false: per organization (default true).",
            ),
            query("page", STRING, "An integer >= 1 (default 1); not an integer: the defaults."),
            query(
                "per_page", STRING, "An integer >= 0 (default 25); not an integer: the defaults."
            ),
            query(
                "order_by",
                {
                    "enum": [
                        "",
                        "total_run_time",
                        "-total_run_time",
                        "total_run_count",
                        "-total_run_count",
                    ]
                },
                "Sort column; a leading - sorts descending.",
            ),
        ],
        body(
            {
                "results": {
                    "anyOf": [
                        array(body({**SCRIPT_RUNS, "username": STRING, "name": STRING})),
                        array(
                            body(
                                {
                                    "org_id": INTEGER,
                                    **SCRIPT_RUNS,
                                    "org_name": {"type": ["string", "integer"]},
                                }
                            )
                        ),
                    ]
                },
                "count": INTEGER,
            }
        ),
        SEATABLE_ERROR,
    ),
    "api/stats": (
        "OpenL2M: inventory and usage counts",
        [],
        body({"database": leaves(DATABASE), "usage": leaves(USAGE)}),
        None,
    ),
    "api/v1/statistics": (
        "Rocket.Chat: server statistics (flows.yaml rocketchat_statistics: seed or current)",
        [query("refresh", {"enum": ["true", "false"]}, "Recompute as of the request.")],
        {"anyOf": [ROCKETCHAT_SEED, ROCKETCHAT_CURRENT]},
        ROCKETCHAT_ERROR,
    ),
}

# ---------------------------------------------------------------- authentication
SECURITY_SCHEMES = {
    "CoderSessionToken": {"type": "apiKey", "in": "header", "name": "Coder-Session-Token"},
    "CoderSessionCookie": {"type": "apiKey", "in": "cookie", "name": "coder_session_token"},
    "CoderSessionQuery": {"type": "apiKey", "in": "query", "name": "coder_session_token"},
    "CoderBearer": {"type": "http", "scheme": "bearer"},
    "RocketChatAuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
    "RocketChatUserId": {"type": "apiKey", "in": "header", "name": "X-User-Id"},
    "SeaTableToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <token>` or `Bearer <token>`",
    },
    "OpenL2MToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <token>`",
    },
    "DashboardBasic": {"type": "http", "scheme": "basic"},
}
# Per scope, the ways a request may carry its credentials (any one of them).
SECURITY: dict[str, list[dict[str, list]]] = {
    "coder": [
        {"CoderSessionToken": []},
        {"CoderSessionCookie": []},
        {"CoderSessionQuery": []},
        {"CoderBearer": []},
    ],
    "rocketchat": [{"RocketChatAuthToken": [], "RocketChatUserId": []}],
    "seatable": [{"SeaTableToken": []}],
    "openl2m": [{"OpenL2MToken": []}],
    DASHBOARD: [{"DashboardBasic": []}],
}
REFUSALS = {  # per scope: status -> body of a request without the right credentials
    "coder": {401: CODER_ERROR},
    "rocketchat": {401: ROCKETCHAT_REFUSAL},
    "seatable": {401: DRF_REFUSAL, 403: DRF_REFUSAL},
    "openl2m": {401: DRF_REFUSAL},
    DASHBOARD: {401: OUR_ERROR},
}
DESCRIPTIONS = {
    200: "The answer",
    304: "Not modified: If-None-Match held this answer's ETag",
    400: "A parameter is refused, in the product's own error body",
    401: "Credentials missing or wrong",
    403: "Credentials missing (SeaTable, as Django REST framework answers)",
    404: "Nothing here",
}


def json_response(status: int, schema: dict) -> dict:
    response = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": schema}},
    }
    if status == 200:
        response["headers"] = {
            "ETag": {"required": True, "schema": STRING},
            "Cache-Control": {"required": True, "schema": {"const": "private"}},
        }
    return response


def _refused(scopes: list[str], protected: set[str]) -> dict[int, dict]:
    """The refusal responses of a route readable with any of `scopes`' credentials."""
    bodies: dict[int, list[dict]] = {}
    for scope in scopes:
        if scope in protected:
            for status, schema in REFUSALS[scope].items():
                bodies.setdefault(status, []).append(schema)
    if len(scopes) > 1 and protected:
        bodies.setdefault(401, []).append(OUR_ERROR)
    return {
        status: json_response(status, schemas[0] if len(schemas) == 1 else {"anyOf": schemas})
        for status, schemas in bodies.items()
    }


def _security(scopes: list[str], protected: set[str]) -> list[dict]:
    return [way for scope in scopes if scope in protected for way in SECURITY[scope]]


def endpoint(path: str, product: str, protected: set[str]) -> dict:
    """The keywords of FastAPI's add_api_route describing one endpoint; `protected`: the
    scopes that ask for credentials."""
    summary, parameters, answer, error = ENDPOINTS[path]
    responses = {200: json_response(200, answer), 304: {"description": DESCRIPTIONS[304]}}
    if error is not None:
        responses[400] = json_response(400, error)
    responses |= _refused([product], protected)
    return {
        "summary": summary,
        "tags": [product],
        "responses": responses,
        "openapi_extra": {"parameters": parameters, "security": _security([product], protected)},
    }


def published(scopes: list[str], protected: set[str]) -> dict:
    """The keywords describing /reports/{path}: the live report set's files, each behind
    its own scope's credentials."""
    responses = {
        200: {
            "description": "The file: a report, the manifest (what the credentials may "
            "read), the dashboard page or its script",
            "content": {"application/json": {}, "text/html": {}, "text/javascript": {}},
        },
        304: {"description": DESCRIPTIONS[304]},
        **_refused(scopes, protected),
        404: json_response(404, OUR_ERROR),
    }
    path = {
        "name": "path",
        "in": "path",
        "required": True,
        "schema": STRING,
        "description": "A file of the live report set: a report (<endpoint path>/<name>.json), "
        "manifest.json, index.html, plotly.min.js.",
        "example": "manifest.json",
    }
    return {
        "summary": "The published report set (reports/), the dashboard included",
        "tags": ["reports"],
        "responses": responses,
        "openapi_extra": {"parameters": [path], "security": _security(scopes, protected)},
    }


HEALTH = {
    "summary": "Liveness and freshness (no credentials, no data)",
    "tags": ["health"],
    "responses": {
        200: json_response(
            200,
            body(
                {
                    "status": {"const": "ok"},
                    "run_id": {"type": ["string", "null"]},
                    "newest_day": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "null"], "format": "date"},
                    },
                }
            ),
        )
    },
}
