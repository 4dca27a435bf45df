"""The health check, and what start-up leaves behind."""

import subprocess
import sys


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


def test_start_up_freezes_what_it_built_out_of_the_collectors_way(database_url):
    # A fresh interpreter: the test process itself may have frozen objects already.
    script = (
        "import gc, sys\n"
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "app = create_app(sys.argv[1])\n"
        "before = gc.get_freeze_count()\n"
        "with TestClient(app) as c:\n"
        "    assert c.get('/health').status_code == 200\n"
        "    print(before, gc.get_freeze_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, database_url], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after = map(int, out[-2:])
    assert before == 0
    assert after > 100_000  # the modules and caches of start-up, not a handful of objects
