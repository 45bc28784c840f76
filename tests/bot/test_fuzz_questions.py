"""Random text as questions (Hypothesis): whatever a member types, the answerer either answers
(with citations that are real stored passages) or says why it can't; nothing else escapes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering.question import QuestionError
from bot.app import App

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=1200
) | st.from_regex(r"(how much|who|when|what is|can) [a-z0-9 ?£.,'-]{0,80}", fullmatch=True)


@settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis folder in the checkout
    derandomize=True,  # the same examples every run: CI passes or fails on the code, not luck
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXT, earlier=st.none() | st.text(max_size=200))
def test_any_text_is_answered_or_refused_with_a_reason(
    app: App, text: str, earlier: str | None
) -> None:
    history = [(earlier, "An earlier answer [1].")] if earlier else []
    try:
        question = app.answerer.read(text, history)
    except QuestionError as exc:
        assert str(exc)  # says what to do
        return
    answer = app.answerer.ask(question)
    assert answer.answer
    for c in answer.citations:
        assert app.library.passage(c.chunk_id) is not None
    assert answer.refused or "[1]" in answer.answer
