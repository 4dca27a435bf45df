"""The service as the client tests run it: the real app, plus the test-only layers.

Started as `uvicorn tests.clients.server:create_app --factory`, so that real clients meet a
restricted layer (`secret_points`) and a layer with suppressed values, as analysts will meet
the settlement and indicator layers.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.geo.layers.catalogue import REFERENCE, SURVEY
from app.main import create_app as create_service
from tests.utils.layers import SECRET_LAYER, SUPPRESSED_LAYER


def create_app() -> FastAPI:
    for registry in (REFERENCE, SURVEY):
        for layer in (SECRET_LAYER, SUPPRESSED_LAYER):
            registry.remove(layer.name)
            registry.add(layer)
    return create_service()
