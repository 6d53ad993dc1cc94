"""HTTP routes, one small module per resource; `api.http.app.create_app` includes them."""
