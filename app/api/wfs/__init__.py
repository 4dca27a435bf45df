"""WFS 2.0.0 and 1.1.0, for the reference layers (/wfs) and each wave's (/surveys/{code}/wfs).

Requests parse in kvp.py, xml_request.py and fes.py into the values of model.py; the answers
are written by capabilities.py, describe.py and getfeature.py; errors by exceptions.py; the
routes are in routes.py. (Nothing is imported here: the API's error handlers use the WFS
exception reports, and the WFS routes use the API's errors.)
"""
