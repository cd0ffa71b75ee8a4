"""Files made to hurt a reader, built byte by byte in the test (never stored in the repository)."""

from __future__ import annotations

import io
import zipfile

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx(sheet_data: str, *, dimension: str | None = None, sheet_target: str = "worksheets/sheet1.xml",
         doctype: str = "") -> bytes:
    """A minimal but complete .xlsx (one sheet) whose sheet XML holds ``sheet_data`` as written."""
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/{sheet_target}" ContentType="{_CT}.worksheet+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
                            '<sheet name="录入" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
                                       f'Type="{_DOC}/worksheet" Target="{sheet_target}"/></Relationships>'),
        f"xl/{sheet_target}": (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{_MAIN}">{head}'
                               f"<sheetData>{sheet_data}</sheetData></worksheet>"),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text.encode())
    return out.getvalue()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def corner_bomb() -> bytes:
    """The 1.6 KB file: a cell at A1 and one at XFD1048576, the last cell a sheet can have. Readers
    allocate the rectangle between them: 17 billion cells."""
    return xlsx(f'<row r="1">{text_cell("A1", "工号")}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                dimension="A1:XFD1048576")
