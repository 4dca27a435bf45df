"""Load layers in headless QGIS and report what QGIS sees, as JSON on stdout.

Run with the system Python that has python3-qgis (not the project's venv):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/clients/qgis_probe.py SPECS_JSON

SPECS_JSON is a list of {"provider": "WFS"|"OAPIF", "url", "typename", "version",
"paging", "page_size", "username", "password", "probe_code", "probe_field"}. For each, the
report gives the geometry type, the fields, the features QGIS actually iterated (and how many
distinct ids and codes among them), and the centroid in WGS 84 of the feature whose
`probe_field` (default `code`) is `probe_code`.
QGIS 3.22 crashes in exitQgis(), so the script flushes and leaves with os._exit().
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def probe(spec: dict) -> dict:
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsDataSourceUri,
        QgsProject,
        QgsVectorLayer,
        QgsWkbTypes,
    )

    uri = QgsDataSourceUri()
    uri.setParam("url", spec["url"])
    uri.setParam("typename", spec["typename"])
    if spec["provider"] == "WFS":
        uri.setParam("version", spec["version"])
        uri.setParam("srsname", spec.get("srsname", "EPSG:4326"))
        uri.setParam("restrictToRequestBBOX", "0")
    if "paging" in spec:
        uri.setParam("pagingEnabled", "true" if spec["paging"] else "false")
    if spec.get("page_size"):
        uri.setParam("pageSize", str(spec["page_size"]))
    if spec.get("username"):
        uri.setUsername(spec["username"])
        uri.setPassword(spec["password"])
    started = time.monotonic()
    layer = QgsVectorLayer(uri.uri(False), spec["typename"], spec["provider"])
    report: dict = {"valid": layer.isValid(), "uri": uri.uri(False)}
    if not layer.isValid():
        # layer.error() crashes QGIS 3.22 here; the message log says what went wrong.
        report["messages"] = MESSAGES[-5:]
        return report
    to_wgs84 = QgsCoordinateTransform(
        layer.crs(), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
    )
    ids, codes, count, centroid = set(), set(), 0, None
    code_index = layer.fields().indexOf(spec.get("probe_field", "code"))
    for feature in layer.getFeatures():
        count += 1
        ids.add(feature.id())
        code = feature.attribute(code_index) if code_index >= 0 else None
        code = str(code) if code is not None else None
        codes.add(code)
        if code == spec.get("probe_code") and feature.hasGeometry():
            point = to_wgs84.transform(feature.geometry().centroid().asPoint())
            centroid = [point.x(), point.y()]
    report.update(
        geometry_type=QgsWkbTypes.displayString(layer.wkbType()),
        fields={f.name(): f.typeName() for f in layer.fields()},
        crs=layer.crs().authid(),
        iterated=count,
        distinct_ids=len(ids),
        distinct_codes=len(codes - {None}),
        provider_count=layer.featureCount(),
        centroid=centroid,
        seconds=round(time.monotonic() - started, 2),
    )
    return report


MESSAGES: list[str] = []


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, level: MESSAGES.append(f"{tag}: {message}")
    )
    reports = []
    for spec in json.loads(sys.argv[1]):
        try:
            reports.append(probe(spec))
        except Exception:  # report, and go on with the next layer
            reports.append({"valid": False, "error": traceback.format_exc()})
    sys.stdout.write(json.dumps(reports) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)
