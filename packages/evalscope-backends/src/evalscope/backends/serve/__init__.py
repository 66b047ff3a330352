"""`evalscope serve`: an OpenAI-compatible HTTP server over a local model (see `app.create_app`)."""
