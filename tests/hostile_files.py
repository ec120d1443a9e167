"""Hostile import files, made at run time: workbooks whose declared
dimensions, shared strings or rows would pin a processor or fill memory if
read naively, and their CSV counterparts. Each is a valid zip/XLSX to any
reader that trusts it."""

from __future__ import annotations

import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>Company</t></is></c></row>')


def workbook(path: Path, sheet_rows, *, dimension: str = "", strings=None) -> Path:
    """An XLSX of one sheet. `sheet_rows` is an iterable of <row> XML strings
    (streamed into the zip); `strings` an iterable of shared-string XML items."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                      b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for item in strings or ():
                out.write(item.encode())
            out.write(b"</sst>")
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(SHEET_START.encode())
            if dimension:
                out.write(f'<dimension ref="{dimension}"/>'.encode())
            out.write(b"<sheetData>")
            for row in sheet_rows:
                out.write(row.encode())
            out.write(b"</sheetData></worksheet>")
    return path


def far_cell(path: Path) -> Path:
    """1.6 KB: a header, and one cell at XFD1048576 that a reader trusting the
    declared dimension pads into 17 billion empty cells."""
    rows = [HEADER_ROW, '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                        '</c></row>']
    return workbook(path, rows, dimension="A1:XFD1048576")


def wide_rows(path: Path, rows: int = 1000) -> Path:
    """Every row with an empty styled cell at the last column (XFD): a reader
    that pads rows to their last cell makes 16,384 values a row."""
    def sheet():
        yield HEADER_ROW
        for n in range(2, rows + 2):
            yield (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com</t></is></c>'
                   f'<c r="XFD{n}" s="0"/></row>')
    return workbook(path, sheet())


def shared_strings_bomb(path: Path, megabytes: int = 200) -> Path:
    """A few hundred KB that unpack into shared strings of `megabytes` MB,
    every one held in memory by a reader that loads the string table."""
    chunk = "<si><t>" + "A" * 1_000_000 + "</t></si>"
    return workbook(path, [HEADER_ROW], strings=(chunk for _ in range(megabytes)))


def many_rows(path: Path, rows: int = 3_000_000) -> Path:
    """About 1 MB that unpacks into millions of rows (numbered by their
    order, as the format allows, so they compress to almost nothing)."""
    def sheet():
        yield HEADER_ROW
        row = '<row><c t="s"><v>0</v></c></row>'
        for _ in range(rows // 1000):
            yield row * 1000
    return workbook(path, sheet(), strings=["<si><t>x@example.com</t></si>"])


def long_cell(path: Path, chars: int) -> Path:
    """A header and two rows, the first with one cell of `chars` characters."""
    rows = [HEADER_ROW,
            f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"a" * chars}</t></is></c></row>',
            '<row r="3"><c r="A3" t="inlineStr"><is><t>ok@example.com</t></is></c>'
            '<c r="B3" t="inlineStr"><is><t>Acme</t></is></c></row>']
    return workbook(path, rows)


LAUGHS = '<!ENTITY l0 "laugh">' + "".join(
    f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))


def sheet_laughs(path: Path) -> Path:
    """A sheet whose cell is nested XML entities (a 'billion laughs': 5 GB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/'
                      'spreadsheetml/2006/main"></sst>')
        book.writestr("xl/worksheets/sheet1.xml",
                      f'<?xml version="1.0"?><!DOCTYPE worksheet [{LAUGHS}]>'
                      + SHEET_START.split("?>", 1)[1] + "<sheetData>" + HEADER_ROW
                      + '<row r="2"><c r="A2" t="inlineStr"><is><t>&l9;</t></is></c></row>'
                      '</sheetData></worksheet>')
    return path


def billion_laughs(path: Path) -> Path:
    """Shared strings built of nested XML entities (a 'billion laughs')."""
    entities = LAUGHS
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/sharedStrings.xml",
                      f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      '<si><t>&l9;</t></si></sst>')
        book.writestr("xl/worksheets/sheet1.xml",
                      SHEET_START + "<sheetData>" + HEADER_ROW
                      + '<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>')
    return path
