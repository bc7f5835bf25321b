"""The erasure register: ids of erased persons, kept beside the KEK, outside the database.

A backup of the database taken before an erasure still holds the person's wrapped
data key. ``casevault restore`` therefore shreds again every person this register
names (and every person the live database lists as erased) before the restored
database is opened for use. The register holds opaque ids only, one a line, and
like the key file it must be readable by its owner only.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Final

from casevault.errors import ConfigError

REGISTER_FILE_NAME: Final = "erasure-register"
REGISTER_ENV: Final = "CASEVAULT_ERASURE_REGISTER"
HEADER: Final = "casevault-erasure-register v1"
_LINE: Final = re.compile(r"[^\s]{1,40} [0-9a-f-]{36}")


class ErasureRegister:
    """An append-only file of ``<person id> <erasure id>`` lines."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _check(self) -> None:
        mode = self.path.stat().st_mode
        if mode & 0o077:
            raise ConfigError(f"erasure register {self.path} is accessible to group or others "
                              f"(mode {stat.S_IMODE(mode):04o}); run chmod 600 on it")

    def add(self, person_id: str, erasure_id: str) -> None:
        """Record an erasure durably (fsync) before the data key is destroyed."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        new = not self.path.exists()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            if new:
                handle.write(f"{HEADER}\n")
            handle.write(f"{person_id} {erasure_id}\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._check()

    def erased(self) -> dict[str, str]:
        """Person id → erasure id of every erasure recorded here."""
        if not self.path.exists():
            return {}
        self._check()
        lines = self.path.read_text(encoding="utf-8").splitlines()
        if not lines or lines[0] != HEADER:
            raise ConfigError(f"{self.path} is not a casevault erasure register")
        found: dict[str, str] = {}
        for line in lines[1:]:
            if not _LINE.fullmatch(line):
                raise ConfigError(f"erasure register {self.path} has a malformed line")
            person_id, erasure_id = line.split(" ")
            found[person_id] = erasure_id
        return found


def erasure_register(key_dir: Path, environ: dict[str, str] | None = None) -> ErasureRegister:
    env = dict(os.environ) if environ is None else environ
    path = Path(env[REGISTER_ENV]) if env.get(REGISTER_ENV) else key_dir / REGISTER_FILE_NAME
    return ErasureRegister(path)
