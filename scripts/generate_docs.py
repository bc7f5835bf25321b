"""Render the generated parts of the docs from the code that declares them.

docs/schema.md (tables, columns, types, data categories) and the column tables of
docs/formats.md come from ``casevault.store.tables``, ``casevault.domain`` and
``casevault.store.interchange.spec``. Run ``python scripts/generate_docs.py`` after
changing any of them; ``tests/test_docs.py`` fails while the docs are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from casevault.domain import field_categories, key_fields
from casevault.store.interchange.spec import FILES, Kind
from casevault.store.tables import LOAD_ORDER

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"

KIND_TEXT = {
    Kind.ID: "id (1-40 letters, digits, `.` `_` `:` `-`)",
    Kind.CODE: "code (1-16 letters, digits, `_` `-`; stored upper case)",
    Kind.TEXT: "text (one line, at most 500 characters)",
    Kind.NAMES: "names, `;`-separated",
    Kind.DATE: "date `YYYY-MM-DD`",
    Kind.INSTANT: "ISO 8601 date-time, UTC (`Z` or an offset; none means UTC)",
    Kind.A_NUMBER: "A-number (any common writing; stored `A` + 9 digits)",
    Kind.ENUM: "one of",
    Kind.COUNTRY: "ISO 3166-1 alpha-2",
    Kind.LANGUAGE: "ISO 639-3",
    Kind.STATE: "US state or territory postal code",
    Kind.POSTAL: "US ZIP (5 digits or ZIP+4)",
    Kind.PHONE: "phone (7-15 digits, `+ ( ) - .` and spaces)",
    Kind.EMAIL: "e-mail address",
    Kind.PATH: "relative path of the content file inside the folder",
}


def formats_tables() -> str:
    parts = []
    for spec in FILES:
        marker = " (casevault extension; optional file)" if spec.extension else ""
        parts.append(f"### `{spec.name}`{marker}\n\nKey: {', '.join(spec.key)}.\n")
        parts.append("| column | required | form | refers to |\n|---|---|---|---|")
        for column in spec.columns:
            form = KIND_TEXT[column.kind]
            if column.vocabulary is not None:
                form += " " + ", ".join(f"`{m.value}`" for m in column.vocabulary)
            required = "yes" if column.required else ""
            if column.extension:
                required = (required + " " if required else "") + "(optional column)"
            refers = " or ".join(column.references)
            parts.append(f"| `{column.name}` | {required} | {form} | {refers} |")
        ranges = [f"`{end}` is not before `{start}`" for start, end in spec.date_ranges]
        if ranges:
            parts.append("\nAlso: " + "; ".join(ranges) + ".")
        parts.append("")
    return "\n".join(parts)


def schema_tables() -> str:
    categories_by_table = {spec.table.name: (field_categories(spec.record_type),
                                             key_fields(spec.record_type)) for spec in FILES}
    parts = []
    for table in LOAD_ORDER:
        categories, keys = categories_by_table.get(table.name, ({}, frozenset()))
        parts.append(f"### `{table.name}`\n")
        if table.comment:
            parts.append(table.comment + "\n")
        parts.append("| column | type | null | data category | key/reference |\n|---|---|---|---|---|")
        for column in table.columns:
            category = categories.get(column.name)
            shown = f"`{category.value}`" if category is not None else "(derived)"
            if column.name in keys:
                shown += " (opaque id)"
            notes = []
            if column.primary_key:
                notes.append("primary key")
            notes += [f"→ {fk.target_fullname}" for fk in column.foreign_keys]
            if column.index or column.unique:
                notes.append("unique" if column.unique else "indexed")
            parts.append(f"| `{column.name}` | {column.type} | {'yes' if column.nullable else 'no'} "
                         f"| {shown} | {', '.join(notes)} |")
        parts.append("")
    return "\n".join(parts)


def splice(path: Path, generated: str) -> str:
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{generated}\n{END}{tail}"


def rendered() -> dict[Path, str]:
    return {ROOT / "docs" / "formats.md": splice(ROOT / "docs" / "formats.md", formats_tables()),
            ROOT / "docs" / "schema.md": splice(ROOT / "docs" / "schema.md", schema_tables())}


def main() -> int:
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")  # noqa: T201 -- a script's report
    return 0


if __name__ == "__main__":
    sys.exit(main())
