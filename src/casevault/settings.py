"""Settings from the environment (prefix ``CASEVAULT_``), validated once at start-up.

Secrets never live here or in the database: the ledger's signing key and the
keyed-hash secret are files in ``key_dir`` (created with mode 0600 on first use)
or come from the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEVAULT_", extra="ignore")

    db_url: str | None = Field(default=None,
                               description="Database URL (else sqlite:///casevault.db).")
    key_dir: Path = Field(default=Path("var/keys"),
                          description="Folder of key files, outside the database and the repo.")
    shield_dir: Path = Field(default=Path("var/shield"),
                             description="The leak shield's working folder: its exact-data-match "
                                         "index (keyed hashes only) and quarantine.")
    log_file: Path | None = Field(default=None,
                                  description="Where operational logs go (JSON lines); stderr "
                                              "when unset.")
    k_threshold: int = Field(default=5, ge=2,
                             description="Smallest group of rows a published table may have on "
                                         "its quasi-identifiers (k-anonymity).")
    ledger_name: str = Field(default="casevault.local/ledger", pattern=r"^[^\s+]+$",
                             description="The ledger's origin line and signing key name.")
    ledger_key: str | None = Field(default=None, repr=False,
                                   description="Base64 Ed25519 seed; overrides the key file.")
    checkpoint_minutes: int = Field(default=5, ge=1,
                                    description="Sign a checkpoint at least this often.")
    report_staff_names: bool = Field(
        default=False,
        description="Show staff names (not only agency and role) in subject reports.")


def load_settings() -> Settings:
    return Settings()
