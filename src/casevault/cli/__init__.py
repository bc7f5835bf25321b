"""The command line (layer 5): parse, call, render. See ``casevault --help``."""

from casevault.cli.app import app, main

__all__ = ["app", "main"]
