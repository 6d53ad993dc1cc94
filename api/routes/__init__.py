"""HTTP routes, one small module per resource; `api.app.create_app` includes them."""
