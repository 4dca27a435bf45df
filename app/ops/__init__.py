"""Operating the service: backups and their checks."""
