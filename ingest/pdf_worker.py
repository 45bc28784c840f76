"""Read a PDF's text in a child process with hard memory and CPU limits.

Run as a script (`python -I pdf_worker.py LIMITS_JSON < file.pdf`); it prints one JSON object:
`{"pages": [...], "title", "author", "created"}` or `{"refused": "why"}`. It imports only the
standard library and pypdf, so the child needs nothing of ours on its path. `extract_pdf` is the
same work in-process (for tests and fuzzing); `ingest.loaders.load_pdf` is the parent side.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from typing import Any


def extract_pdf(data: bytes, *, pages: int, stream_bytes: int, text_chars: int) -> dict[str, Any]:
    """Each page's text and the metadata, or `{"refused": reason}`. Never raises for bad input
    (MemoryError aside, which the parent reports from the child's exit)."""
    from pypdf import PasswordType, PdfReader, apply_configuration
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    limits = {
        f"{name}_maximum_output_length": stream_bytes
        for name in ("zlib", "lzw", "run_length", "brotli", "jbig2", "array_based_stream")
    }
    try:
        with apply_configuration(
            maximum_declared_stream_length=stream_bytes, jbig2dec_binary=None, **limits
        ):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                return _refused("the PDF is encrypted with a password; ask for an open copy")
            if len(reader.pages) > pages:
                return _refused(
                    f"the PDF has {len(reader.pages):,} pages, over the {pages:,} limit"
                )
            texts = _page_texts(reader, text_chars)
    except FileNotDecryptedError:
        return _refused("the PDF is encrypted with a password; ask for an open copy")
    except DependencyError as exc:
        return _refused(f"the PDF needs a library that is not installed ({exc})")
    except LimitReachedError as exc:
        return _refused(
            f"the PDF goes past a reading limit ({stream_bytes:,} bytes a stream): {exc}"
        )
    except _TooMuchText:
        return _refused(f"the PDF has more than {text_chars:,} characters of text; split it")
    except MemoryError:
        raise  # the child's main() names the memory limit
    except RecursionError:
        return _refused("not a readable PDF (its objects nest too deeply)")
    except Exception as exc:  # noqa: BLE001 - hostile input: any parser failure is a refusal
        return _refused(f"not a readable PDF ({type(exc).__name__}: {_short(exc)})")
    return {"pages": texts, **_metadata(reader)}


class _TooMuchText(Exception):
    pass


def _page_texts(reader: Any, text_chars: int) -> list[str]:
    texts, total = [], 0
    for page in reader.pages:
        text = _clean(page.extract_text() or "")
        total += len(text)
        if total > text_chars:
            raise _TooMuchText
        texts.append(text)
    return texts


def _metadata(reader: Any) -> dict[str, str]:
    """Title, author and creation date; odd metadata is ignored, never fatal."""
    try:
        info = reader.metadata or {}
        title, author = str(info.get("/Title") or ""), str(info.get("/Author") or "")
    except Exception:  # noqa: BLE001
        return {"title": "", "author": "", "created": ""}
    try:
        created = info.creation_date.isoformat()[:10] if info.creation_date else ""
    except Exception:  # noqa: BLE001 - an unparseable date is just no date
        created = ""
    return {"title": _clean(title)[:1000], "author": _clean(author)[:1000], "created": created}


def _clean(text: str) -> str:
    """Text safe to store: no NULs, no lone surrogates (bad UTF-16 in a PDF string)."""
    return text.replace("\0", "").encode("utf-8", "replace").decode("utf-8").strip()


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else ""


def _refused(reason: str) -> dict[str, Any]:
    return {"refused": reason}


def main() -> None:
    limits = json.loads(sys.argv[1])
    memory, seconds = int(limits.pop("memory")), int(limits.pop("seconds"))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    data = sys.stdin.buffer.read()
    try:
        result = extract_pdf(data, **limits)
    except MemoryError:
        result = _refused(f"reading the PDF needs more than {memory // 1_000_000:,} MB of memory")
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
