"""The console (layer 5): server-rendered pages that call the guard; never the store."""
