from ingest.chunking import ChunkSettings, chunk_document
from ingest.documents import Document

LONG = " ".join(f"Sentence {i} explains one more detail about the contract." for i in range(40))
TEXT = (
    f"Summary first.\n\n## The contract\n{LONG}\n\n"
    "A closing paragraph.\n\n## Opt-out\nShort section."
)


def test_chunks_are_exact_slices_with_headings() -> None:
    doc = Document(source="a.md", text=TEXT, title="T")
    chunks = chunk_document(doc, ChunkSettings(size=300, overlap=120))
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].heading == "" and chunks[0].text == "Summary first."
    assert chunks[-1].heading == "Opt-out" and chunks[-1].text == "Short section."
    assert {c.heading for c in chunks[1:-1]} == {"The contract"}
    assert not any(c.text.startswith("#") for c in chunks)


def test_chunks_respect_size_and_overlap_by_a_sentence() -> None:
    doc = Document(source="a.md", text=TEXT, title="T")
    chunks = [c for c in chunk_document(doc, ChunkSettings(size=300, overlap=120)) if c.heading]
    assert all(len(c.text) <= 300 + 120 for c in chunks)
    for before, after in zip(chunks, chunks[1:]):
        if before.heading == after.heading:
            assert after.start < before.end  # the next chunk repeats the previous last sentence


def test_covers_all_text_in_order() -> None:
    doc = Document(source="a.md", text=TEXT, title="T")
    chunks = chunk_document(doc, ChunkSettings(size=300, overlap=120))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    joined = " ".join(c.text for c in chunks)
    for i in range(40):
        assert f"Sentence {i} explains" in joined


def test_pdf_pages_recorded() -> None:
    doc = Document(
        source="r.pdf", text="Page one text.\n\nPage two text.", title="R", pages=((1, 0), (2, 16))
    )
    chunks = chunk_document(doc)
    assert [(c.page, c.text) for c in chunks] == [(1, "Page one text."), (2, "Page two text.")]


def test_a_huge_heading_is_cut_not_repeated_in_every_chunk() -> None:
    """A 500 kB heading over 700 passages would be 350 MB of metadata and embedded text."""
    from ingest.limits import MAX_HEADING_CHARS

    text = "# " + "heading " * 60_000 + "\n\n" + "A sentence of body text. " * 400
    chunks = chunk_document(Document(source="h.md", text=text, title="T"))
    assert len(chunks) > 5
    assert all(len(c.heading) <= MAX_HEADING_CHARS for c in chunks)
    assert chunks[0].heading.startswith("heading heading") and chunks[0].heading.endswith("…")
    assert all(text[c.start : c.end] == c.text for c in chunks)
