"""Opening the shield on a database: its exact-data-match index, refreshed, and a scanner.

The index lives in ``settings.shield_dir`` (keyed hashes and opaque ids only,
mode 0600), one file per database, and is refreshed before a scan so that
persons imported since the last build are known.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine

from casevault.settings import Settings
from casevault.shield.edm import EdmIndex, Progress, edm_key
from casevault.shield.scan import Scanner


def index_path(engine: Engine, settings: Settings) -> Path:
    """The index file of this database (named by a digest of its URL, not the URL)."""
    url = engine.url.render_as_string(hide_password=True)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return settings.shield_dir / f"edm-{digest}.index"


def current_index(engine: Engine, settings: Settings, *,
                  progress: Progress | None = None) -> EdmIndex:
    """The saved index brought up to date with the database (built on first use)."""
    path = index_path(engine, settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = edm_key(settings)
    if not path.exists():
        index = EdmIndex.build(engine, key, progress=progress)
        index.save(path)
        return index
    index = EdmIndex.load(path, key)
    report = index.refresh(engine, progress=progress)
    if report.added or report.removed or report.reindexed:
        index.save(path)
    return index


def scanner(engine: Engine | None, settings: Settings, *,
            progress: Progress | None = None) -> Scanner:
    """A scanner with the database's index, or with detectors only when there is no database."""
    index = current_index(engine, settings, progress=progress) if engine is not None else None
    return Scanner(index, k_threshold=settings.k_threshold)


__all__ = ["current_index", "index_path", "scanner"]
