"""Build the blind-set PDF documents from their plain-text sources.

Each source in pdf_sources/*.txt starts with two metadata lines:

    TITLE: document title (goes into the PDF Info dictionary)
    HEADER: running header printed at the top of every page

followed by pages separated by a line "=====PAGE=====". Within a page, blank
lines separate paragraphs. Paragraphs are word-wrapped; a page that overflows
continues on a new page. Every page gets the running header and a
"Page n of N" footer, so the PDFs look like a printed briefing and carry a
real, extractable text layer (Helvetica, WinAnsiEncoding).

Run from anywhere:  /work/main/.venv/bin/python eval/blind/docs/make_pdfs.py
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "pdf_sources"

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN_X, TOP, BOTTOM = 56, 790, 60
BODY_SIZE, LEADING = 10, 13.5
WRAP = 92  # characters per line at 10pt Helvetica, roughly


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _is_heading(par: list[str]) -> bool:
    line = par[0]
    return (
        len(par) == 1
        and len(line) < 90
        and not line.endswith((".", ":", ";"))
        and not line.startswith("-")
    )


def layout(pages: list[str]) -> list[list[tuple[str, str]]]:
    """Turn source pages into physical pages of (font, text) lines."""
    out: list[list[tuple[str, str]]] = []
    max_lines = int((TOP - BOTTOM - 30) / LEADING)
    for src in pages:
        current: list[tuple[str, str]] = []
        paragraphs: list[list[str]] = []
        block: list[str] = []
        for raw in src.strip("\n").splitlines():
            if raw.strip():
                block.append(raw.rstrip())
            elif block:
                paragraphs.append(block)
                block = []
        if block:
            paragraphs.append(block)
        for par in paragraphs:
            font = "F2" if _is_heading(par) else "F1"
            lines: list[tuple[str, str]] = []
            for item in par:
                indent = "    " if item.startswith(("- ", "(")) else ""
                wrapped = textwrap.wrap(item, WRAP, subsequent_indent=indent) or [""]
                lines.extend((font, w) for w in wrapped)
            if current and len(current) + len(lines) + 1 > max_lines:
                out.append(current)
                current = []
            if current:
                current.append(("F1", ""))
            current.extend(lines)
        out.append(current)
    return out


def build_pdf(pages: list[list[tuple[str, str]]], title: str, header: str) -> bytes:
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    for i, lines in enumerate(pages):
        ops = [
            b"BT",
            b"/F1 8 Tf",
            f"{MARGIN_X} 815 Td".encode(),
            b"(" + _escape(header) + b") Tj",
            b"ET",
        ]
        ops += [b"BT", f"{LEADING} TL".encode(), f"{MARGIN_X} {TOP} Td".encode()]
        for font, text in lines:
            ops.append(f"/{font} {BODY_SIZE} Tf".encode())
            ops.append(b"(" + _escape(text) + b") Tj T*")
        ops.append(b"ET")
        footer = f"Page {i + 1} of {n}"
        ops += [
            b"BT",
            b"/F1 8 Tf",
            f"{PAGE_W - MARGIN_X - 50} 35 Td".encode(),
            b"(" + _escape(footer) + b") Tj",
            b"ET",
        ]
        stream = b"\n".join(ops)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"/Contents {6 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = len(objects) + 1
    objects.append(b"<< /Title (" + _escape(title) + b") /Producer (make_pdfs.py) >>")
    buf = io.BytesIO()
    buf.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(buf.tell())
        buf.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = buf.tell()
    buf.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        buf.write(f"{off:010d} 00000 n \n".encode())
    buf.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return buf.getvalue()


def main() -> None:
    for src in sorted(SOURCES.glob("*.txt")):
        text = src.read_text(encoding="utf-8")
        head, _, body = text.partition("=====PAGE=====")
        meta = dict(line.split(": ", 1) for line in head.strip().splitlines())
        pages = [p for p in body.split("=====PAGE=====") if p.strip()]
        pdf = build_pdf(layout(pages), meta["TITLE"], meta["HEADER"])
        target = HERE.parent / "docs" / f"{src.stem}.pdf"
        target.write_bytes(pdf)
        print(f"wrote {target.name}: {len(pdf)} bytes")


if __name__ == "__main__":
    main()
