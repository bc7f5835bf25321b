"""Import of EOIR's public FOIA case-data release (``casevault import --eoir-foia DIR``).

``import_eoir_foia`` loads an unpacked release into the store inside the
caller's transaction and returns an ``EoirImportReport``: per file, rows read and
loaded and each problem met, by kind, with the first line numbers. The release
layout is described in the team's design notes (``formats/eoir_foia.md``); the
fixture in ``tests/fixtures/eoir/README.md`` shows it file by file.
"""

from casevault.store.eoir._importer import import_eoir_foia
from casevault.store.eoir._report import EoirImportReport, FileReport, Problem

__all__ = ["EoirImportReport", "FileReport", "Problem", "import_eoir_foia"]
