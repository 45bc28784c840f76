"""Errors whose message is meant for the person asking."""


class QuestionError(ValueError):
    """The question can't be asked as it is (empty, too long); the message says what to do."""


def check_question(question: str, max_chars: int) -> str:
    """The question, trimmed; QuestionError when it is empty or longer than `max_chars`."""
    text = " ".join(question.split())
    if not text:
        raise QuestionError("Please type a question, e.g. “Can Palantir staff see my GP record?”")
    if len(text) > max_chars:
        raise QuestionError(
            f"That question is {len(text)} characters long; the limit is {max_chars}. "
            "Please ask something shorter, one question at a time."
        )
    return text
