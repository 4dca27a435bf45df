"""Case areas: propose the ten territorial contexts for fieldwork, reproducibly and with reasons.

Importing the package registers the `case_areas` map layer (see `layer.py`).
"""

from app.geo.case_areas import layer as layer
