"""The `heritage` command line. Imports neither FastAPI nor the web app until `serve` runs."""
