"""The case interchange folder (public contract, docs/formats.md): import and export."""

from casevault.store.interchange.exporter import export_folder
from casevault.store.interchange.importer import FileSummary, ImportReport, import_folder
from casevault.store.interchange.spec import FILES, FORMAT_VERSION, FileSpec
from casevault.store.interchange.writer import Format, InterchangeWriter

__all__ = [
    "FILES", "FORMAT_VERSION", "FileSpec", "FileSummary", "Format", "ImportReport",
    "InterchangeWriter", "export_folder", "import_folder",
]
