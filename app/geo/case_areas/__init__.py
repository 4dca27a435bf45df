"""Case areas: propose the ten territorial contexts for fieldwork, reproducibly and with reasons.

The `case_areas` map layer is the catalogue's (`app.geo.layers.catalogue.case_areas`).
"""
