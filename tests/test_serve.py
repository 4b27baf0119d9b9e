"""`serve`: the endpoint functions over HTTP, with the product's status codes."""

from fastapi.testclient import TestClient

from pipelines.serve import make_app

PATH = "/api/v2.1/admin/statistics/active-users/"


def test_serve_answers_bodies_and_errors(mini):
    m = mini()
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.build()
    client = TestClient(make_app(m.settings, m.wh))
    ok = client.get(PATH, params={"start": "2024-05-01 00:00:00", "end": "2024-05-01 00:00:00"})
    assert ok.status_code == 200
    assert ok.json() == {"active_users": [{"datetime": "2024-05-01T00:00:00+00:00", "count": 1}]}
    bad = client.get(PATH, params={"end": "2024-05-01 00:00:00"})
    assert (bad.status_code, bad.json()) == (400, {"error_msg": "Start time can not be empty"})
    assert client.get("/api/v1/statistics", params={"refresh": "maybe"}).status_code == 400
    assert client.get("/nothing").status_code == 404
