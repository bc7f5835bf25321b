"""casevault: a records system for immigration case data that cannot be quietly abused.

The package is layered (see docs/dev/architecture.md); each module exposes a short
public surface in its ``__init__`` and keeps the rest private.
"""

__version__ = "0.1.0"
