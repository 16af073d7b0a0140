"""Every list operation of the API refuses a query parameter it does not declare (the OpenAPI
allows no others), naming it in a problem+json answer — one rule, in ``web/contract.py``."""

from __future__ import annotations

from tests.web.helpers import Env

UNKNOWN = "zz_not_a_parameter"


def test_every_list_operation_names_an_unknown_query_parameter(env: Env) -> None:
    env.add_user("lister", "coordinator")
    headers = {"Authorization": f"Bearer {env.token('lister')}"}
    paths = env.client.get("/api/v1/openapi.json").json()["paths"]
    lists = [p for p, item in paths.items() if "get" in item and "{" not in p]
    assert {"/api/v1/patients", "/api/v1/trials"} <= set(lists)
    for path in lists:
        r = env.client.get(path, params={UNKNOWN: "1"}, headers=headers)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), path
        detail = r.json()["detail"]
        assert f"unknown query parameter '{UNKNOWN}'" in detail, (path, detail)
        assert "this operation takes" in detail, (path, detail)


def test_unknown_parameter_on_the_patient_list_lists_the_known_ones(env: Env) -> None:
    env.add_user("lister", "coordinator")
    headers = {"Authorization": f"Bearer {env.token('lister')}"}
    r = env.client.get("/api/v1/patients", params={"q": "a", "lmit": "5", "": "x"}, headers=headers)
    assert r.status_code == 400
    assert r.json()["detail"] == (
        "unknown query parameter '', 'lmit' (this operation takes: limit, offset, q)"
    )
    # what the OpenAPI declares for the operation is what the message lists
    spec = env.client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/patients"]["get"]
    assert {p["name"] for p in spec["parameters"] if p["in"] == "query"} == {"limit", "offset", "q"}
    assert "not declared by the operation" in spec["responses"]["400"]["description"]
    assert env.client.get("/api/v1/patients", params={"q": "a"}, headers=headers).status_code == 200
