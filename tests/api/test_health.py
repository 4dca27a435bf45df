"""The health check."""


def test_health_reports_database_postgis_and_vintages(client):
    r = client.get("/health")

    body = r.json()
    assert r.status_code == 200
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["postgis"].split(".")[0] == "3"
    assert body["vintages"] == [
        {"vintage": 2021, "comuni": 7903},
        {"vintage": 2023, "comuni": 7899},
    ]


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/comuni/{code}" in schema["paths"]
