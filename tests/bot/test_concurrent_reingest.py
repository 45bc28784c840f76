"""A question asked while a changed document is being re-ingested gets an answer citing the old
or the new version, never nothing and never a mix (real store, real model, real threads)."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.answering.answer import Answer
from bot.app import App

QUESTION = "How often does the Caldicott guardian review the platform audit log?"
VERSIONS = ("every month", "every week")
REINGESTS = 12


def audit_brief(frequency: str) -> str:
    """A small brief whose one changing fact is how often the audit log is reviewed."""
    return (
        '---\ntitle: "Test brief: platform audit log"\npublisher: nhsbot tests\n'
        "published: 2026-11-02\nurl: https://example.org/audit\n---\n"
        "# Audit of platform access\n\n"
        "Every query made on the federated data platform is written to an audit log. "
        f"The Caldicott guardian of each trust reviews the platform audit log {frequency}, "
        "and reports misuse to the trust board.\n\n"
        "# Who can see records\n\n"
        "Access to identifiable records is limited to staff with a legitimate relationship "
        "with the patient. Researchers only receive pseudonymised extracts.\n"
    )


def versions_cited(answer: Answer) -> set[str]:
    """Which versions of the brief an answer's citations come from."""
    cited = " ".join(c.passage for c in answer.citations if c.title.endswith("audit log"))
    return {v for v in VERSIONS if v in cited}


def test_answers_during_reingest_cite_the_old_or_the_new_version(
    fresh_app: App, fixture_corpus: Path, tmp_path: Path
) -> None:
    brief = tmp_path / "audit.md"
    brief.write_text(audit_brief(VERSIONS[0]))
    assert not fresh_app.library.ingest([fixture_corpus, brief]).failed
    before = fresh_app.answerer.ask(QUESTION)
    assert not before.refused and versions_cited(before) == {VERSIONS[0]}

    done = threading.Event()
    errors: list[BaseException] = []

    def reingest() -> None:
        try:
            for n in range(1, REINGESTS + 1):
                brief.write_text(audit_brief(VERSIONS[n % 2]))
                report = fresh_app.library.ingest([brief])
                assert report.changed and not report.failed, report.summary()
        except BaseException as exc:  # re-raised by the test below
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=reingest)
    writer.start()
    seen: list[set[str]] = []
    while not done.is_set():
        answer = fresh_app.answerer.ask(QUESTION)
        assert not answer.refused, f"refused during re-ingest after {len(seen)} answers"
        cited = versions_cited(answer)
        assert len(cited) == 1, f"answer {len(seen)} cites {cited or 'no version'}: {answer}"
        seen.append(cited)
    writer.join()
    assert not errors, errors
    assert len(seen) >= REINGESTS  # the questions really overlapped the re-ingests
    assert {v for s in seen for v in s} == set(VERSIONS)  # and saw both versions
    after = fresh_app.answerer.ask(QUESTION)
    assert versions_cited(after) == {VERSIONS[REINGESTS % 2]}
    chunks = [m for _, _, m in fresh_app.store.all_chunks() if m["title"].endswith("log")]
    assert len({m["content_hash"] for m in chunks}) == 1  # old versions are gone from the store
