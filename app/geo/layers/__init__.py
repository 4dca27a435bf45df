"""Map layers: the engine every door serves (registry, features, filters, CRS, MVT, exports,
access log), and the catalogue of layers (`catalogue`)."""
