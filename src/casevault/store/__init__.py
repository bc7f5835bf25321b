"""Storage (layer 1): schema, engines, migrations, interchange import/export, bulk loading.

Public surface: engines and schema management (``database``), the interchange
folder (``interchange``), the EOIR public-data importer (``eoir``), and the read
functions (``reads``), which only the guard may call (invariant 1).
"""

from casevault.store.database import (
    DEFAULT_URL,
    URL_ENV,
    database_url,
    make_engine,
    require_current_schema,
    upgrade_schema,
)

__all__ = [
    "DEFAULT_URL", "URL_ENV", "database_url", "make_engine", "require_current_schema",
    "upgrade_schema",
]
