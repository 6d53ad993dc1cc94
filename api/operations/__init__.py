"""Domain operations the web app, the CLI and a queue worker share; free of FastAPI."""
