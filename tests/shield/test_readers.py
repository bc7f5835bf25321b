"""The shield's readers: every format, told by content, read into the units the scanner expects.

Every fixture file is built here from synthetic values (Faker with a seed, or
obviously made-up strings); the builders are shared with the hostile tests.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from faker import Faker
from pypdf import PdfReader, PdfWriter

from casevault.errors import UnreadableFile, UnsupportedFormat
from casevault.shield.model import Sheet, TextBlock, Unit
from casevault.shield.readers import ReadLimits, read_units

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# ---------------------------------------------------------------- builders (shared)

def people(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Synthetic people: Faker names, made-up A-numbers and dates (nobody real)."""
    fake = Faker("es_MX")
    fake.seed_instance(seed)
    return [{"family_name": fake.last_name().upper(), "given_name": fake.first_name(),
             "a_number": f"A{200000000 + i * 7919:09d}",
             "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=80).isoformat()}
            for i in range(count)]


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal PDF written by hand: one Helvetica text object per page, with a true xref."""
    count = len(pages)
    font = 3 + 2 * count
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>",
              b"<< /Type /Pages /Kids [%s] /Count %d >>"
              % (" ".join(f"{3 + 2 * i} 0 R" for i in range(count)).encode(), count)]
    for i, text in enumerate(pages):
        content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
        bodies.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                      b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font))
        bodies.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    bodies.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
    out += trailer % (len(bodies) + 1, xref)
    return bytes(out)


OWNER_KEY = "synthetic-owner-key"


def encrypted_pdf(pages: list[str], user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(user_password=user_password, owner_password=OWNER_KEY, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(body: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal DOCX: content types and ``word/document.xml`` with the given body XML."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>')
    return zip_bytes({"[Content_Types].xml": b"<Types/>",
                      "word/document.xml": document.encode(), **(extra or {})})


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def xlsx_bytes(build: object) -> bytes:
    """A workbook built by ``build(workbook)`` with openpyxl, as bytes."""
    workbook = openpyxl.Workbook()
    build(workbook)  # type: ignore[operator]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_shared_strings(data: bytes) -> bytes:
    """The workbook as Excel saves it: strings in a shared table (openpyxl writes them inline).

    The first string is written as rich text with a phonetic run, which must not be read.
    """
    members = unzip(data)
    strings: list[str] = []

    def share(match: re.Match[bytes]) -> bytes:
        strings.append(match.group(2).decode())
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), len(strings) - 1)

    for name in [name for name in members if name.startswith("xl/worksheets/")]:
        members[name] = re.sub(rb'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>([^<]*)</t></is></c>',
                               share, members[name])
    items = [f"<si><t>{text}</t></si>" for text in strings]
    if items:
        first = strings[0]
        items[0] = (f"<si><r><t>{first[:1]}</t></r><r><t>{first[1:]}</t></r>"
                    "<rPh sb='0' eb='1'><t>PHONETIC</t></rPh></si>")
    members["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "".join(items) + "</sst>").encode()
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return zip_bytes(members)


def unzip(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {info.filename: archive.read(info) for info in archive.infolist()}


def rewrite_member(data: bytes, name: str, change: object) -> bytes:
    """A ZIP with one member's bytes replaced by ``change(old)``."""
    members = unzip(data)
    members[name] = change(members[name])  # type: ignore[operator]
    return zip_bytes(members)


def consume(units: Iterator[Unit]) -> list[tuple[str, object]]:
    """Units as data: ("sheet", (name, headers, first_row, hidden, rows)) or ("text", block)."""
    out: list[tuple[str, object]] = []
    for unit in units:
        if isinstance(unit, Sheet):
            rows = list(unit.rows)
            out.append(("sheet", (unit.name, unit.headers, unit.first_row, unit.hidden, rows)))
        else:
            out.append(("text", unit))
    return out


def read(path: Path, limits: ReadLimits | None = None) -> list[tuple[str, object]]:
    return consume(read_units(path, limits=limits or ReadLimits()))


def sheets(path: Path) -> list[Sheet]:
    """Sheets with their rows materialised (as a list iterator), for attribute checks."""
    found = []
    for unit in read_units(path):
        if isinstance(unit, Sheet):
            unit.rows = iter(list(unit.rows))
            found.append(unit)
    return found


def texts(path: Path) -> list[TextBlock]:
    return [unit for unit in read_units(path) if isinstance(unit, TextBlock)]


def only_sheet(path: Path) -> tuple[tuple[str, ...], list[tuple[str, ...]], int]:
    (sheet,) = sheets(path)
    return sheet.headers, list(sheet.rows), sheet.first_row


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_any_delimiter_with_header(tmp_path: Path, delimiter: str) -> None:
    rows = people(5)
    lines = [delimiter.join(rows[0])] + [delimiter.join(person.values()) for person in rows]
    path = tmp_path / "people.data"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    headers, body, first_row = only_sheet(path)
    assert headers == ("family_name", "given_name", "a_number", "date_of_birth")
    assert body == [tuple(person.values()) for person in rows]
    assert first_row == 2


def test_csv_semicolon_file_with_comma_lists_keeps_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id;languages;city\nC1;spa,eng;Springfield\nC2;por;Shelbyville\n"
                    "C3;hat,fra,eng;Ogdenville\n", encoding="utf-8")
    headers, body, _ = only_sheet(path)
    assert headers == ("case_id", "languages", "city")
    assert body[2] == ("C3", "hat,fra,eng", "Ogdenville")


@pytest.mark.parametrize(("encoding", "prefix"), [
    ("cp1252", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-8", b""),
])
def test_csv_encodings_are_sniffed(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = "family_name,given_name\nNÚÑEZ,José\nMÜLLER,Zoë\n"
    path = tmp_path / "accents.csv"
    path.write_bytes(prefix + text.encode(encoding))
    headers, body, _ = only_sheet(path)
    assert headers == ("family_name", "given_name")
    assert body == [("NÚÑEZ", "José"), ("MÜLLER", "Zoë")]


def test_csv_mixed_encodings_never_lose_a_letter(tmp_path: Path) -> None:
    """A UTF-8 file with one Windows-1252 line: that line reads as the letters a person sees."""
    path = tmp_path / "mixed.csv"
    path.write_bytes("name,city\nJosé,Mérida\n".encode() + "Zoë,Córdoba\n".encode("cp1252"))
    _, body, _ = only_sheet(path)
    assert body == [("José", "Mérida"), ("Zoë", "Córdoba")]


def test_csv_first_row_of_data_is_not_taken_as_header(tmp_path: Path) -> None:
    rows = people(4)
    path = tmp_path / "noheader.csv"
    path.write_text("".join(",".join(person.values()) + "\n" for person in rows), encoding="utf-8")
    headers, body, first_row = only_sheet(path)
    assert headers == ("1", "2", "3", "4")
    assert body == [tuple(person.values()) for person in rows]
    assert first_row == 1


@pytest.mark.parametrize(("first", "following", "header"), [
    (["LAST", "FIRST", "DOB", "A#"], [["GARCIA", "Ana", "1990-01-02", "A200000001"]], True),
    (["name", "sex"], [["Ana Ruiz", "F"], ["Luis Paz", "M"]], True),
    (["GARCIA", "Ana", "1990-01-02"], [["LOPEZ", "Luis", "1985-03-04"]], False),
    (["someone@example.org", "x"], [["a", "b"]], False),
    (["RUIZ", "F"], [["PAZ", "M"], ["SOLIS", "F"]], False),
    (["name", "name"], [["a", "b"]], False),
    (["", ""], [["a", "b"]], False),
])
def test_header_detection(first: list[str], following: list[list[str]], header: bool) -> None:
    from casevault.shield.readers._tables import looks_like_header  # noqa: PLC0415 -- internal rule

    assert looks_like_header(first, following) is header


def test_csv_rows_padded_and_wider_rows_start_a_continuation_sheet(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    lines = ["id,name,city"] + [f"{i},Person {i},Town {i}" for i in range(60)]
    lines += ["61,Short", "62,Wide,Town,A200000062,extra", "63,After,Town"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, second = sheets(path)
    first_rows = list(first.rows)
    assert first.headers == ("id", "name", "city")
    assert first_rows[-1] == ("61", "Short", "")
    assert second.headers == ("id", "name", "city", "4", "5")
    assert second.first_row == first.first_row + len(first_rows)
    assert list(second.rows) == [("62", "Wide", "Town", "A200000062", "extra"),
                                 ("63", "After", "Town", "", "")]


def test_csv_trailing_empty_fields_do_not_widen(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("a,b\n1,2,,\n3,4\n", encoding="utf-8")
    headers, body, _ = only_sheet(path)
    assert headers == ("a", "b")
    assert body == [("1", "2"), ("3", "4")]


def test_csv_quoted_newlines_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('id,note\n1,"two\nlines"\n\n3,after blank\n', encoding="utf-8")
    headers, body, first_row = only_sheet(path)
    assert headers == ("id", "note")
    assert body == [("1", "two\nlines"), ("", ""), ("3", "after blank")]
    assert first_row == 2


def test_prose_with_commas_is_text_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "letter.csv"
    path.write_text("Dear clerk, the hearing moved.\nIt is now on Tuesday.\n"
                    "Regards, the court, and staff, here.\n", encoding="utf-8")
    blocks = texts(path)
    assert blocks[0].text == "Dear clerk, the hearing moved."
    assert not sheets(path)


def test_format_is_told_by_content_not_name(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(json.dumps([{"k": "v"}]), encoding="utf-8")
    (tmp_path / "b.txt").write_text("x;y\n1;2\n3;4\n", encoding="utf-8")
    (tmp_path / "c.json").write_bytes(pdf_bytes(["page text"]))
    assert only_sheet(tmp_path / "a.csv")[0] == ("k",)
    assert only_sheet(tmp_path / "b.txt")[0] == ("x", "y")
    assert [block.page for block in texts(tmp_path / "c.json")] == [1]


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert read(path) == []


# ---------------------------------------------------------------- plain text


def test_text_blocks_have_line_numbers_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("first line\n\nthird: Núñez\r\nlast", encoding="utf-8", newline="")
    blocks = texts(path)
    assert [(b.text, b.line, b.offset) for b in blocks] == [
        ("first line", 1, 0), ("third: Núñez", 3, 12), ("last", 4, 26)]


def test_long_text_line_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("x" * 2500 + "\nnext\n", encoding="utf-8")
    limits = ReadLimits(max_field_chars=1000)
    blocks = [u for u in read_units(path, limits=limits) if isinstance(u, TextBlock)]
    assert [(len(b.text), b.line, b.offset) for b in blocks] == [
        (1000, 1, 0), (1000, 1, 1000), (500, 1, 2000), (4, 2, 2501)]


# ---------------------------------------------------------------- XLSX


def test_xlsx_every_sheet_hidden_ones_too_with_formulas_and_types(tmp_path: Path) -> None:
    rows = people(3)

    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "Detained"
        sheet.append(["LAST", "FIRST", "DOB", "A#", "FULL", "ACTIVE", "COUNT"])
        for i, person in enumerate(rows, start=2):
            sheet.append([person["family_name"], person["given_name"],
                          dt.date.fromisoformat(person["date_of_birth"]), person["a_number"],
                          f'=A{i}&", "&B{i}', i % 2 == 0, 5551230000.0 + i])
        hidden = workbook.create_sheet("Lookup")
        hidden.sheet_state = "hidden"
        hidden["B3"] = "A299999999"
        very = workbook.create_sheet("Secret")
        very.sheet_state = "veryHidden"
        very.append(["id", "note"])
        very.append([1, "internal"])

    path = tmp_path / "export.bin"
    path.write_bytes(with_shared_strings(xlsx_bytes(build)))
    assert b"sharedStrings" in path.read_bytes()
    detained, lookup, secret = sheets(path)
    assert (detained.name, detained.hidden, detained.first_row) == ("Detained", False, 2)
    assert detained.headers == ("LAST", "FIRST", "DOB", "A#", "FULL", "ACTIVE", "COUNT")
    assert next(iter(detained.rows)) == (
        rows[0]["family_name"], rows[0]["given_name"], rows[0]["date_of_birth"],
        rows[0]["a_number"], '=A2&", "&B2', "TRUE", "5551230002")
    assert (lookup.name, lookup.hidden, lookup.first_row, lookup.headers) == (
        "Lookup", True, 3, ("A", "B"))
    assert list(lookup.rows) == [("", "A299999999")]
    assert (secret.name, secret.hidden, list(secret.rows)) == ("Secret", True, [("1", "internal")])


def test_xlsx_formula_reads_cached_value_when_excel_saved_one(tmp_path: Path) -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["family", "given", "full"])
        sheet.append(["RUIZ", "Ana", '=A2&" "&B2'])

    def cache(xml: bytes) -> bytes:
        return re.sub(rb"(<f>[^<]*</f>)<v\s*/?>(</v>)?", rb"\1<v>RUIZ Ana</v>", xml)

    data = rewrite_member(xlsx_bytes(build), "xl/worksheets/sheet1.xml", cache)
    path = tmp_path / "cached.xlsx"
    path.write_bytes(data)
    assert only_sheet(path)[1] == [("RUIZ", "Ana", "RUIZ Ana")]


def test_xlsx_cells_read_as_openpyxl_reads_them(tmp_path: Path) -> None:
    """The fast sheet parser agrees with openpyxl on every value type Excel stores."""
    fake = Faker()
    fake.seed_instance(11)
    values: list[list[object]] = [["text", "int", "float", "date", "datetime", "bool", "time"]]
    for _ in range(40):
        values.append([fake.name(), fake.random_int(0, 10**9), fake.pyfloat(left_digits=4),
                       fake.date_object(), fake.date_time().replace(microsecond=0),
                       fake.pybool(), dt.time(fake.random_int(0, 23), 30)])

    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        for row in values:
            sheet.append(row)

    path = tmp_path / "types.xlsx"
    path.write_bytes(xlsx_bytes(build))
    from casevault.shield.readers._sheetxml import cell_text  # noqa: PLC0415 -- the rule itself

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        expected = [tuple(cell_text(cell.value) for cell in row)
                    for row in workbook.active.iter_rows(min_row=2)]
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed
    assert only_sheet(path)[1] == expected


def test_xlsx_header_is_first_non_empty_row_and_far_rows_start_a_new_sheet(tmp_path: Path) -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet["B3"], sheet["C3"] = "name", "city"
        sheet["B4"], sheet["C4"] = "Ana Ruiz", "Springfield"
        sheet["B6"], sheet["C6"] = "Luis Paz", "Shelbyville"
        sheet["B5000"] = "far away"

    path = tmp_path / "sparse.xlsx"
    path.write_bytes(xlsx_bytes(build))
    near, far = sheets(path)
    assert (near.headers, near.first_row) == (("A", "name", "city"), 4)
    assert list(near.rows) == [("", "Ana Ruiz", "Springfield"), ("", "", ""),
                               ("", "Luis Paz", "Shelbyville")]
    assert (far.first_row, list(far.rows)) == (5000, [("", "far away", "")])


def test_xlsx_comments_and_embedded_files_are_read(tmp_path: Path) -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet["A1"] = "id"
        sheet["A1"].comment = openpyxl.comments.Comment("ask Ana Ruiz, A200000042", "clerk")

    members = unzip(xlsx_bytes(build))
    members["xl/embeddings/list.csv"] = b"name,a_number\nLuis Paz,A200000043\nAna Ruiz,A2\n"
    path = tmp_path / "noted.xlsx"
    path.write_bytes(zip_bytes(members))
    units = read(path)
    notes = [u for kind, u in units if kind == "text" and isinstance(u, TextBlock)]
    assert any("A200000042" in note.text and note.file.endswith(".xml") for note in notes)
    embedded = [data for kind, data in units if kind == "sheet"]
    assert ("Luis Paz", "A200000043") in embedded[-1][4]  # type: ignore[index]


# ---------------------------------------------------------------- JSON and JSON Lines


def test_json_array_of_objects_is_a_table_with_union_of_keys(tmp_path: Path) -> None:
    rows = people(30)
    rows[3]["nickname"] = "Ani"
    rows[4]["address"] = {"city": "Springfield", "zip": "00000"}
    path = tmp_path / "people.json"
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    headers, body, first_row = only_sheet(path)
    assert headers == ("family_name", "given_name", "a_number", "date_of_birth", "nickname",
                       "address")
    assert body[3][4] == "Ani"
    assert body[4][5] == '{"city":"Springfield","zip":"00000"}'
    assert body[0][4:] == ("", "")
    assert first_row == 1


def test_json_new_key_after_the_sample_starts_a_continuation_sheet(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"id": i, "name": f"Person {i}"} for i in range(1200)]
    rows.append({"id": 1200, "name": "Late", "a_number": "A200001200"})
    path = tmp_path / "late.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    first, second = sheets(path)
    assert first.headers == ("id", "name")
    assert second.headers == ("id", "name", "a_number")
    assert second.first_row == 1201
    assert list(second.rows) == [("1200", "Late", "A200001200")]


def test_json_wrapped_tables_and_other_values(tmp_path: Path) -> None:
    document = {"meta": {"count": 2, "office": "Springfield"},
                "data": [{"name": "Ana Ruiz", "dob": "1990-01-02"},
                         {"name": "Luis Paz", "dob": "1985-03-04"}],
                "aliases": ["Ani", "Anita"], "note": None, "flag": True}
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    units = read(path)
    kinds = [kind for kind, _ in units]
    assert kinds == ["text", "sheet", "text", "text"]
    meta, table, aliases, top = (data for _, data in units)
    assert isinstance(meta, TextBlock) and meta.text == "count: 2\noffice: Springfield"
    assert meta.line == 2
    assert table == ("$.data", ("name", "dob"), 1, False,
                     [("Ana Ruiz", "1990-01-02"), ("Luis Paz", "1985-03-04")])
    assert isinstance(aliases, TextBlock) and aliases.text == "aliases: Ani\naliases: Anita"
    assert isinstance(top, TextBlock) and top.text == "note: \nflag: true"


def test_json_mixed_array_runs(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([{"a": 1}, {"a": 2}, "loose text", [3, "x"], {}, {"a": 5}]),
                    encoding="utf-8")
    units = read(path)
    assert units[0] == ("sheet", (None, ("a",), 1, False, [("1",), ("2",)]))
    assert isinstance(units[1][1], TextBlock) and units[1][1].text == "loose text\n3\nx"
    assert units[2] == ("sheet", (None, ("a",), 6, False, [("5",)]))


def test_json_lines_rows_are_line_numbers(tmp_path: Path) -> None:
    rows = people(3)
    lines = [json.dumps(rows[0]), json.dumps(rows[1]), "", json.dumps(rows[2]),
             json.dumps("a loose string"), json.dumps({"x": 1})]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    units = read(path)
    first, second = units[0][1], units[1][1]
    assert first[2] == 1 and len(first[4]) == 2  # type: ignore[index]
    assert second[2] == 4 and second[4] == [tuple(rows[2].values())]  # type: ignore[index]
    assert isinstance(units[2][1], TextBlock) and units[2][1].line == 5
    assert units[3] == ("sheet", (None, ("x",), 6, False, [("1",)]))


def test_json_scalar_document_and_concatenated_values(tmp_path: Path) -> None:
    path = tmp_path / "concat.json"
    path.write_text('{"name": "Ana Ruiz"} {"name": "Luis Paz"}', encoding="utf-8")
    assert [u.text for u in texts(path)] == ["name: Ana Ruiz", "name: Luis Paz"]


# ---------------------------------------------------------------- HTML


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Docket</title><style>p{color:red}</style>"
        "<script>var a = 'A299999999';</script></head><body>"
        "<h1>Calendar</h1><p>Respondent: <b>Ana</b> Ruiz &amp; family</p>"
        "<table><tr><th>Name</th><th>A#</th></tr>"
        "<tr><td>Luis Paz</td><td>A200000043</td></tr></table>"
        "<img alt='photo of Ana Ruiz'><a href='mailto:ana.ruiz@example.org'>write</a>"
        "</body></html>", encoding="utf-8")
    found = [block.text for block in texts(path)]
    assert "Respondent: Ana Ruiz & family" in found
    assert "Luis Paz\tA200000043" in found
    assert not any("A299999999" in text or "color" in text for text in found)
    assert any("photo of Ana Ruiz" in text for text in found)
    assert any("mailto:ana.ruiz@example.org" in text for text in found)


# ---------------------------------------------------------------- PDF


def test_pdf_text_page_by_page(tmp_path: Path) -> None:
    path = tmp_path / "decision.pdf"
    path.write_bytes(pdf_bytes(["Respondent Ana Ruiz A200000042", "Second page"]))
    blocks = texts(path)
    assert [(b.page, b.text) for b in blocks] == [
        (1, "Respondent Ana Ruiz A200000042"), (2, "Second page")]


def test_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    path = tmp_path / "owner-only.pdf"
    path.write_bytes(encrypted_pdf(["Ana Ruiz A200000042"], user_password=""))
    assert [b.text for b in texts(path)] == ["Ana Ruiz A200000042"]


# ---------------------------------------------------------------- DOCX


def test_docx_paragraphs_rows_notes_and_deleted_text(tmp_path: Path) -> None:
    body = (paragraph("Respondent: Ana Ruiz")
            + "<w:p><w:r><w:t>Born </w:t></w:r><w:r><w:tab/><w:t>1990-01-02</w:t></w:r></w:p>"
            + "<w:p><w:del><w:r><w:delText>A200000042</w:delText></w:r></w:del></w:p>"
            + "<w:tbl><w:tr><w:tc>" + paragraph("Luis Paz") + "</w:tc><w:tc>"
            + paragraph("A200000043") + "</w:tc></w:tr></w:tbl>")
    footer = f'<w:ftr xmlns:w="{W_NS}">{paragraph("Prepared by the clerk")}</w:ftr>'.encode()
    path = tmp_path / "brief.docx"
    path.write_bytes(docx_bytes(body, {"word/footer1.xml": footer}))
    blocks = texts(path)
    assert [(b.text, b.line) for b in blocks] == [
        ("Respondent: Ana Ruiz", 1), ("Born \t1990-01-02", 2), ("A200000042", 3),
        ("Luis Paz\tA200000043", 4), ("Prepared by the clerk", 5)]


def test_docx_embedded_workbook_is_read_as_a_member(tmp_path: Path) -> None:
    def build(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["name", "a_number"])
        sheet.append(["Ana Ruiz", "A200000042"])

    path = tmp_path / "memo.docx"
    path.write_bytes(docx_bytes(paragraph("See the table."),
                                {"word/embeddings/Microsoft_Excel_Worksheet.xlsx":
                                 xlsx_bytes(build)}))
    (sheet,) = sheets(path)
    assert sheet.file == f"{path}!word/embeddings/Microsoft_Excel_Worksheet.xlsx"
    assert list(sheet.rows) == [("Ana Ruiz", "A200000042")]


# ---------------------------------------------------------------- ZIP


def test_zip_members_read_recursively_and_named_with_bang(tmp_path: Path) -> None:
    inner = zip_bytes({"deep/notes.txt": b"Ana Ruiz called.\n"})
    path = tmp_path / "bundle.zip"
    path.write_bytes(zip_bytes({"folder/": b"", "folder/list.csv": b"name,city\nAna,X\nLuis,Y\n",
                                "inner.zip": inner, "decision.pdf": pdf_bytes(["Luis Paz"])}))
    units = list(read_units(path))
    assert [unit.file for unit in units] == [
        f"{path}!folder/list.csv", f"{path}!inner.zip!deep/notes.txt", f"{path}!decision.pdf"]
    assert isinstance(units[1], TextBlock) and units[1].text == "Ana Ruiz called."


def test_units_survive_a_consumer_that_skips_rows(tmp_path: Path) -> None:
    """A consumer may drop a Sheet unread; the next unit is still right."""
    path = tmp_path / "two.zip"
    path.write_bytes(zip_bytes({"a.csv": b"x,y\n1,2\n3,4\n", "b.txt": b"after\n"}))
    units = list(read_units(path))  # Sheet rows never iterated
    assert isinstance(units[1], TextBlock) and units[1].text == "after"


# ---------------------------------------------------------------- errors and limits


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot be opened"):
        read(tmp_path / "absent.csv")


def test_image_is_an_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "scan.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(UnsupportedFormat, match="image"):
        read(path)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_ratio"):
        ReadLimits(max_ratio=0)
