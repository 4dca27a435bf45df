"""OGC exception reports: the one way WFS answers an error."""

from __future__ import annotations

import re

from lxml import etree
from starlette.responses import Response

OWS_NAMESPACES = {"2.0.0": "http://www.opengis.net/ows/1.1", "1.1.0": "http://www.opengis.net/ows"}
REPORT_VERSIONS = {"2.0.0": "2.0.0", "1.1.0": "1.0.0"}

# WFS 2.0, Table 3 with OWS Common 2.0: the HTTP status of each exception code.
STATUS = {
    "MissingParameterValue": 400,
    "InvalidParameterValue": 400,
    "VersionNegotiationFailed": 400,
    "InvalidUpdateSequence": 400,
    "OperationParsingFailed": 400,
    "OperationNotSupported": 501,
    "OptionNotSupported": 501,
    "OperationProcessingFailed": 403,
    "NotFound": 404,
    "NoApplicableCode": 500,
}


# What XML 1.0 cannot hold (NUL and most control characters): a report echoes client text.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OwsException(Exception):
    """A WFS error: an exception code, the parameter at fault (locator) and a message.

    `status` and `headers` override the code's status when the error is not WFS's own (a 401
    with its WWW-Authenticate, a 429 with its Retry-After).
    """

    def __init__(
        self,
        code: str,
        message: str,
        locator: str = "",
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code, self.message, self.locator = code, message, locator
        self._status, self.headers = status, headers or {}

    @property
    def status(self) -> int:
        return self._status or STATUS.get(self.code, 400)


def missing(parameter: str) -> OwsException:
    return OwsException("MissingParameterValue", f"{parameter} is required", parameter)


def invalid(parameter: str, message: str) -> OwsException:
    return OwsException("InvalidParameterValue", message, parameter)


def exception_report(exc: OwsException, version: str = "2.0.0") -> Response:
    """Write the ExceptionReport of the WFS version the client spoke (2.0.0 if unknown)."""
    version = version if version in OWS_NAMESPACES else "2.0.0"
    ows = OWS_NAMESPACES[version]
    root = etree.Element(
        f"{{{ows}}}ExceptionReport", nsmap={"ows": ows}, version=REPORT_VERSIONS[version]
    )
    attributes = {"exceptionCode": exc.code}
    if exc.locator:
        attributes["locator"] = NOT_XML.sub("\ufffd", exc.locator)
    item = etree.SubElement(root, f"{{{ows}}}Exception", attributes)
    etree.SubElement(item, f"{{{ows}}}ExceptionText").text = NOT_XML.sub("\ufffd", exc.message)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, status_code=exc.status, media_type="application/xml", headers=exc.headers)
