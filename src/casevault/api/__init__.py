"""The HTTP API (layer 5): FastAPI routes that call the guard; never the store."""
