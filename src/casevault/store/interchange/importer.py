"""Importing an interchange folder: check everything, load everything, or nothing.

The import runs in one transaction (a savepoint when the caller already has
one). Each file is checked row by row as it streams into the bulk loaders; on
the first problem, writing stops, checking goes on to collect up to
``MAX_PROBLEMS`` problems in that file, and the transaction is rolled back, so
the database is left as it was.

Re-importing updates rows with the same key and never duplicates them: the
loaders upsert on each table's primary key.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Table, select

from casevault.domain.names import fold, name_key
from casevault.errors import (
    FormatVersionError,
    InputError,
    InterchangeError,
    InterchangeProblems,
)
from casevault.store import tables
from casevault.store.bulk import (
    TableLoader,
    delete_matching,
    is_empty,
    open_loader,
    rebuilt_afterwards,
)
from casevault.store.interchange._loading import BackgroundWriter, bulk_cache, collector_paused
from casevault.store.interchange.reader import TableFile, read_rows
from casevault.store.interchange.spec import (
    CONTENT_DIR,
    FILES,
    FILES_BY_NAME,
    FORMAT_NAME,
    FORMAT_VERSION,
    LIST_SEPARATOR,
    MANIFEST_FILE,
    FileSpec,
)
from casevault.store.interchange.validate import (
    BLANKS,
    Problem,
    bulk_converter_for,
    converter_for,
)

MAX_PROBLEMS: Final = 20
MAX_DOCUMENT_BYTES: Final = 25 * 1024 * 1024
_BATCH: Final = 10_000
_AUTO_CREATED: Final = ("courts", "facilities")
"""Files DESIGN.md's format does not have: codes they would define are created from use."""

Progress = Callable[[str, int, int | None], None]
Row = list[Any]


@dataclass(frozen=True, slots=True)
class FileSummary:
    name: str
    file: str
    rows: int
    updated: int
    """Rows whose key was already in the database (single-key tables only)."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    files: tuple[FileSummary, ...]
    created_from_codes: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(summary.rows for summary in self.files)

    def summary_lines(self) -> list[str]:
        lines = [f"{s.file}: {s.rows:,} rows ({s.updated:,} updated)" for s in self.files]
        lines += [f"{name}: {count:,} created from codes used in cases"
                  for name, count in self.created_from_codes.items() if count]
        return lines


def discover_files(folder: Path) -> dict[str, TableFile]:
    """The table files of a folder by name; anything unexpected is an error."""
    if not folder.is_dir():
        msg = f"{folder} is not a folder: give the path of an interchange folder"
        raise InputError(msg)
    found: dict[str, TableFile] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == MANIFEST_FILE or (
            path.name == CONTENT_DIR and path.is_dir()
        ):
            continue
        spec = FILES_BY_NAME.get(path.stem)
        if spec is None or path.suffix not in (".csv", ".parquet") or not path.is_file():
            expected = ", ".join(f"{s.name}.csv" for s in FILES)
            raise InterchangeError(path.name, f"is not an interchange file (expected {expected})")
        if spec.name in found:
            raise InterchangeError(path.name, f"{spec.name} is given both as CSV and as Parquet")
        found[spec.name] = TableFile(spec, path)
    if not found:
        msg = f"{folder} holds no interchange files (persons.csv, cases.csv, ...)"
        raise InputError(msg)
    return found


def read_manifest(folder: Path) -> dict[str, int]:
    """Expected row counts from the manifest, after checking its version marker."""
    path = folder / MANIFEST_FILE
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InterchangeError(MANIFEST_FILE, "is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise InterchangeError(MANIFEST_FILE, f"does not describe a {FORMAT_NAME} folder")
    if manifest.get("version") != FORMAT_VERSION:
        msg = (f"{MANIFEST_FILE}: format version {manifest.get('version')!r} is not supported "
               f"(this release reads version {FORMAT_VERSION})")
        raise FormatVersionError(msg)
    files = manifest.get("files", {})
    return {name: int(entry.get("rows", 0)) for name, entry in files.items()
            if isinstance(entry, dict)}


@contextmanager
def atomic(connection: Connection) -> Iterator[None]:
    """One transaction, or a savepoint inside the caller's."""
    if connection.in_transaction():
        with connection.begin_nested():
            yield
    else:
        with connection.begin():
            yield


def import_folder(connection: Connection, folder: Path, *,
                  progress: Progress | None = None) -> ImportReport:
    """Check and load every table file of ``folder``; all or nothing."""
    files = discover_files(folder)
    expected = read_manifest(folder)
    with atomic(connection), collector_paused(), bulk_cache(connection):
        return _Importer(connection, folder, files, expected, progress).run()


class _Collector:
    """Problems of the current import, in file order, up to the limit."""

    def __init__(self) -> None:
        self.problems: list[InterchangeError] = []
        self.truncated = False

    def add(self, file: str, line: int, column: str | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(InterchangeError(file, message, line=line, column=column))
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        return self.truncated

    def __bool__(self) -> bool:
        return bool(self.problems)


class _Importer:
    def __init__(self, connection: Connection, folder: Path, files: dict[str, TableFile],
                 expected: dict[str, int], progress: Progress | None) -> None:
        self.connection = connection
        self.folder = folder.resolve()
        self.folder_text = str(self.folder)
        self.files = files
        self.expected = expected
        self.progress = progress
        self.problems = _Collector()
        self.known = self._known_keys()
        self.created: dict[str, int] = dict.fromkeys(_AUTO_CREATED, 0)
        self.writer = BackgroundWriter()

    def _known_keys(self) -> dict[str, set[str]]:
        """Ids already in the database, for reference checks and "updated" counts."""
        return {
            spec.name: set(self.connection.execute(select(spec.table.c[spec.key[0]])).scalars())
            for spec in FILES
            if len(spec.key) == 1
        }

    def run(self) -> ImportReport:
        summaries = []
        try:
            for spec in FILES:
                table_file = self.files.get(spec.name)
                if table_file is None:
                    continue
                summaries.append(_FileImport(self, table_file).run())
                if self.problems:
                    raise InterchangeProblems(self.problems.problems,
                                              truncated=self.problems.full)
        except BaseException:
            self.writer.close(quietly=True)  # the first error is the one to report
            raise
        self.writer.close()
        return ImportReport(tuple(summaries), {k: v for k, v in self.created.items() if v})

    def create_from_code(self, name: str, code: str) -> None:
        """A court or facility known only by its code: create it named by the code."""
        self.writer.drain()
        table = tables.courts if name == "courts" else tables.facilities
        loader = open_loader(self.connection, table, ("court_code" if name == "courts"
                                                      else "facility_code", "name"),
                             on_conflict="ignore")
        loader.add([(code, code)])
        loader.finish()
        self.known[name].add(code)
        self.created[name] += 1


class _FileImport:
    """One file: check each row, shape it for its table, hand batches to the loaders."""

    def __init__(self, importer: _Importer, table_file: TableFile) -> None:
        self.importer = importer
        self.table_file = table_file
        self.spec: FileSpec = table_file.spec
        self.label = table_file.label
        self.converters = [converter_for(column) for column in self.spec.columns]
        self.bulk_converters = [bulk_converter_for(column) for column in self.spec.columns]
        self.names = self.spec.column_names
        self.key_positions = [self.names.index(name) for name in self.spec.key]
        self.single_key = self.key_positions[0] if len(self.key_positions) == 1 else None
        self.required_positions = [i for i, c in enumerate(self.spec.columns) if c.required]
        self.reference_checks = [
            (i, c.name, [importer.known[target] for target in c.references])
            for i, c in enumerate(self.spec.columns) if c.references
        ]
        self.ranges = [(start, end, self.names.index(start), self.names.index(end))
                       for start, end in self.spec.date_ranges]
        self.existing = importer.known.get(self.spec.name, set()).copy()
        self.own_keys = importer.known.get(self.spec.name, set())
        self.seen: dict[Any, int] = {}
        self.deferred: list[tuple[int, str, str]] = []
        self.updated = 0
        self.fresh = is_empty(importer.connection, self.spec.table)
        self.shaper = _Shaper.for_spec(self)

    def run(self) -> FileSummary:
        """Load the file; an empty table is loaded like a restore (indexes rebuilt at the end)."""
        with ExitStack() as stack:
            if self.fresh:
                for table in self.shaper.tables:
                    stack.enter_context(rebuilt_afterwards(self.importer.connection, table))
            return self._load()

    def _load(self) -> FileSummary:
        rows = 0
        lines: list[int] = []
        batch: list[Sequence[str | None]] = []
        for line, cells in read_rows(self.table_file):
            lines.append(line)
            batch.append(cells)
            if len(batch) >= _BATCH:
                rows += self._take(lines, batch)
                lines, batch = [], []
                if self.importer.problems.full:
                    break
                self._report(rows)
        if not self.importer.problems.full:
            rows += self._take(lines, batch)
        self._check_deferred()
        self.importer.writer.drain()
        if not self.importer.problems:
            self.shaper.finish()
            self._report(rows)
        return FileSummary(self.spec.name, self.label, rows, self.updated)

    def _take(self, lines: list[int], batch: list[Sequence[str | None]]) -> int:
        """Check a batch (whole columns at once, else row by row) and write it if all is well."""
        checked = self._check_batch(lines, batch)
        if checked is None:
            checked = []
            for line, cells in zip(lines, batch, strict=True):
                values = self._check(line, cells)
                if self.importer.problems.full:
                    break
                if values is not None:
                    checked.append(values)
        if not self.importer.problems:
            self.importer.writer.submit(partial(self.shaper.write, checked))
        return len(checked)

    def _check_batch(self, lines: list[int],
                     batch: list[Sequence[str | None]]) -> list[Sequence[Any]] | None:
        """Whole-column checks; None sends the batch down the row-by-row path.

        Nothing is remembered (keys, references) unless the whole batch passes, so
        the row-by-row path starts from the same state.
        """
        if not batch:
            return []
        columns = self._converted_columns(batch)
        if columns is None:
            return None
        keys: list[Any] = (list(columns[self.single_key]) if self.single_key is not None
                           else list(zip(*(columns[p] for p in self.key_positions), strict=True)))
        key_set = set(keys)
        # dict_keys.isdisjoint walks its argument: the batch, not everything seen so far.
        if len(key_set) != len(keys) or not self.seen.keys().isdisjoint(key_set):
            return None
        deferred = self._batch_references(lines, columns, key_set)
        if deferred is None or not self._batch_ranges_hold(columns):
            return None
        if self.spec.name == "relatives" and any(map(operator.eq, columns[0], columns[1])):
            return None
        self.deferred.extend(deferred)
        self.seen.update(zip(keys, lines, strict=True))
        if self.single_key is not None:
            self.updated += len(key_set & self.existing)
            self.own_keys.update(key_set)
        return list(zip(*columns, strict=True))

    def _converted_columns(self, batch: Sequence[Sequence[str | None]]
                           ) -> list[Sequence[Any]] | None:
        """Each column checked and converted whole; empty cells ("" or None) become None."""
        columns: list[Sequence[Any]] = []
        for column, bulk, values in zip(self.spec.columns, self.bulk_converters,
                                        zip(*batch, strict=True), strict=True):
            if "" not in values and None not in values:
                converted = bulk(list(values))
                if converted is None:
                    return None
                columns.append(converted)
                continue
            if column.required:
                return None
            texts = [value for value in values if value]
            converted = bulk(texts) if texts else texts
            if converted is None:
                return None
            if converted is texts:
                columns.append([value or None for value in values])
            else:
                replacements = iter(converted)
                columns.append([next(replacements) if v else None for v in values])
        return columns

    def _batch_references(self, lines: list[int], columns: list[Sequence[Any]],
                          batch_keys: set[Any]) -> list[tuple[int, str, str]] | None:
        """Deferred self-references of the batch, or None if any reference is unknown."""
        deferred: list[tuple[int, str, str]] = []
        for position, name, targets in self.reference_checks:
            unknown = set(columns[position])
            unknown.discard(None)
            for known in targets:
                unknown = unknown.difference(known)  # walks the few unknowns, not the known
            if not unknown:
                continue
            if self.spec.columns[position].references != (self.spec.name,):
                return None
            unknown -= batch_keys
            deferred += [(line, name, value) for line, value
                         in zip(lines, columns[position], strict=True) if value in unknown]
        return deferred

    def _batch_ranges_hold(self, columns: list[Sequence[Any]]) -> bool:
        for _start, _end, first_position, last_position in self.ranges:
            for first, last in zip(columns[first_position], columns[last_position], strict=True):
                if first is not None and last is not None and last < first:
                    return False
        return True

    def _report(self, rows: int) -> None:
        if self.importer.progress is not None:
            self.importer.progress(self.spec.name, rows, self.importer.expected.get(self.spec.name))

    def _problem(self, line: int, column: str | None, message: str) -> None:
        self.importer.problems.add(self.label, line, column, message)

    def _check(self, line: int, cells: Sequence[str | None]) -> Row | None:
        """The fast path converts a whole row at once; any doubt goes to the careful path."""
        cells = [None if text is None else text.strip(BLANKS) or None for text in cells]
        for position in self.required_positions:
            if cells[position] is None:
                return self._check_carefully(line, cells)
        try:
            values: Row = [None if text is None else convert(text)
                           for convert, text in zip(self.converters, cells, strict=True)]
        except Problem:
            return self._check_carefully(line, cells)
        if not (self._check_key(line, values) & self._check_references(line, values)
                & self._check_ranges(line, values)):
            return None
        return values

    def _check_carefully(self, line: int, cells: Sequence[str | None]) -> Row | None:
        """Report every problem of a row that failed the fast path."""
        for column, convert, text in zip(self.spec.columns, self.converters, cells, strict=True):
            if text is None:
                if column.required:
                    self._problem(line, column.name, "is required but empty")
                continue
            try:
                convert(text)
            except Problem as problem:
                self._problem(line, column.name, str(problem))
        return None

    def _check_key(self, line: int, values: Row) -> bool:
        if self.single_key is not None:
            key: Any = values[self.single_key]
        else:
            key = tuple(values[p] for p in self.key_positions)
        first = self.seen.get(key)
        if first is not None:
            shown = ", ".join(f"{n}={v}" for n, v in zip(
                self.spec.key, key if isinstance(key, tuple) else (key,), strict=True))
            self._problem(line, self.spec.key[0], f"duplicate key {shown} (first on line {first})")
            return False
        self.seen[key] = line
        if self.single_key is not None:
            if key in self.existing:
                self.updated += 1
            self.own_keys.add(key)
        return True

    def _check_references(self, line: int, values: Row) -> bool:
        ok = True
        for position, name, targets in self.reference_checks:
            value = values[position]
            if value is None:
                continue
            found = False
            for known in targets:
                if value in known:
                    found = True
                    break
            if not found:
                ok = self._unknown_reference(line, position, name, value) and ok
        if self.spec.name == "relatives" and values[0] == values[1]:
            self._problem(line, "relative_id", "a person cannot be their own relative")
            ok = False
        return ok

    def _unknown_reference(self, line: int, position: int, name: str, value: str) -> bool:
        references = self.spec.columns[position].references
        if references == (self.spec.name,):
            self.deferred.append((line, name, value))
            return True
        target = references[0]
        if target in _AUTO_CREATED and target not in self.importer.files:
            self.importer.create_from_code(target, value)
            return True
        self._problem(line, name, f"refers to {value!r}, which is not in "
                                  f"{' or '.join(references)} (file or database)")
        return False

    def _check_ranges(self, line: int, values: Row) -> bool:
        ok = True
        for start, end, first_position, last_position in self.ranges:
            first, last = values[first_position], values[last_position]
            if first is not None and last is not None and last < first:
                self._problem(line, end, f"is before {start}")
                ok = False
        return ok

    def _check_deferred(self) -> None:
        known = self.importer.known[self.spec.name] if self.deferred else set()
        for line, column, value in self.deferred:
            if value not in known:
                self._problem(line, column,
                              f"refers to {value!r}, which is not in {self.spec.name} "
                              "(file or database)")


class _Shaper:
    """Turns checked rows of a file into rows of its table(s)."""

    def __init__(self, file_import: _FileImport, columns: Sequence[str]) -> None:
        self.file_import = file_import
        self.tables: tuple[Table, ...] = (file_import.spec.table,)
        self.loader: TableLoader = open_loader(file_import.importer.connection,
                                               file_import.spec.table, columns,
                                               fresh=file_import.fresh)

    @staticmethod
    def for_spec(file_import: _FileImport) -> _Shaper:
        name = file_import.spec.name
        if name == "persons":
            return _PersonShaper(file_import)
        if name == "documents":
            return _DocumentShaper(file_import)
        return _Shaper(file_import, file_import.spec.column_names)

    def write(self, batch: Sequence[Sequence[Any]]) -> None:
        self.loader.add(batch)

    def finish(self) -> None:
        self.loader.finish()


class _PersonShaper(_Shaper):
    """Persons also get their indexed name keys: the name and every alias."""

    def __init__(self, file_import: _FileImport) -> None:
        columns = (*file_import.spec.column_names, "name_key")
        super().__init__(file_import, columns)
        self.names_loader = open_loader(file_import.importer.connection, tables.person_names,
                                        ("person_id", "name_key"), on_conflict="ignore",
                                        fresh=file_import.fresh)
        self.tables = (tables.persons, tables.person_names)
        index = file_import.spec.column_names.index
        self.family, self.given, self.aliases = (index("family_name"), index("given_name"),
                                                 index("other_names"))

    def write(self, batch: Sequence[Sequence[Any]]) -> None:
        if not batch:
            return
        connection = self.file_import.importer.connection
        returning = [row[0] for row in batch if row[0] in self.file_import.existing]
        if returning:
            delete_matching(connection, tables.person_names, "person_id", returning)
        shaped: list[tuple[Any, ...]] = []
        keys: list[tuple[str, str]] = []
        for row in batch:
            primary = name_key(row[self.family], row[self.given])
            shaped.append((*row, primary))
            person_keys = {primary} if primary else set()
            if row[self.aliases]:
                person_keys.update(fold(alias) for alias in row[self.aliases].split(LIST_SEPARATOR))
            keys.extend((row[0], key) for key in person_keys if key)
        self.loader.add(shaped)
        self.names_loader.add(keys)

    def finish(self) -> None:
        super().finish()
        self.names_loader.finish()


class _DocumentShaper(_Shaper):
    """Documents carry their content from ``documents/`` into the database."""

    def __init__(self, file_import: _FileImport) -> None:
        names = file_import.spec.column_names
        self.path_position = names.index("content_path")
        columns = [n for n in names if n != "content_path"] + ["content", "content_sha256"]
        super().__init__(file_import, columns)
        self.checked_directories: dict[str, bool] = {}

    def write(self, batch: Sequence[Sequence[Any]]) -> None:
        position = self.path_position
        for directory in {row[position].rpartition("/")[0] for row in batch
                          if row[position] is not None}:
            self._require_inside(directory)
        contents = [None if row[position] is None else self._read_content(row[position])
                    for row in batch]
        self.loader.add([
            (*row[:position], *row[position + 1:], content,
             hashlib.sha256(content).hexdigest() if content is not None else None)
            for row, content in zip(batch, contents, strict=True)
        ])

    def _require_inside(self, directory: str) -> None:
        if directory and not self._directory_is_inside(directory):
            raise InterchangeError(self.file_import.label,
                                   f"content folder {directory!r} is not inside the folder",
                                   column="content_path")

    def _read_content(self, relative: str) -> bytes:
        """The content file, refusing anything that is not a plain file inside the folder.

        The path was checked to be relative with no ``..``, and its directory to be a
        real directory inside the folder (``write``); opening with O_NOFOLLOW refuses
        a symbolic link as the file itself.
        """
        label = self.file_import.label
        path = f"{self.file_import.importer.folder_text}/{relative}"
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            raise InterchangeError(label, f"content file {relative!r} cannot be read "
                                   "(missing, or a link)", column="content_path") from None
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InterchangeError(label, f"content file {relative!r} is not a file",
                                       column="content_path")
            content = handle.read(MAX_DOCUMENT_BYTES + 1)
        if len(content) > MAX_DOCUMENT_BYTES:
            raise InterchangeError(label, f"content file {relative!r} is larger than 25 MB",
                                   column="content_path")
        return content

    def _directory_is_inside(self, directory: str) -> bool:
        known = self.checked_directories.get(directory)
        if known is None:
            folder = self.file_import.importer.folder_text
            real = os.path.realpath(f"{folder}/{directory}")
            known = real.startswith(folder + os.sep) and os.path.isdir(real)  # noqa: PTH112
            self.checked_directories[directory] = known
        return known
