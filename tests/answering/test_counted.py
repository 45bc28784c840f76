"""A "how many" question is answered by a number of the thing it counts, not any number."""

from __future__ import annotations

import pytest

from bot.answering.counted import counted


@pytest.mark.parametrize(
    ("clause", "noun"),
    [
        ("how many people opted out in july 2021", "people"),
        ("how many gp practices send data to cprd these days", "practices"),
        ("roughly how many ppl have opted out of nhs data sharing", "people"),
        ("how many peoples data got taken in the advanced hack", "people"),
        ("how many non-nhs england people do data engineering", "people"),
        ("how many data applications did igard look at per meeting", "applications"),
        ("whats the number of trusts live on the fdp", "trusts"),
        ("how many recomendations were in the goldacre report", "recomendations"),
    ],
)
def test_the_counted_noun_is_read_from_the_question(clause: str, noun: str) -> None:
    found = counted(clause)
    assert found is not None and found.noun == noun


@pytest.mark.parametrize(
    "clause",
    ["how long does an opt-out take", "what percentage of people opted out", "who runs it"],
)
def test_a_question_counting_nothing_it_names_has_no_counted_noun(clause: str) -> None:
    assert counted(clause) is None


@pytest.mark.parametrize(
    ("clause", "sentence"),
    [
        ("how many people opted out", "More than 3.4 million people had opted out by April 2023."),
        ("how many recomendations were there", "It counted 185 detailed recommendations."),
        ("how many uk biobank participants", "data on all 500,000 UK Biobank volunteers"),
        ("how many groups backed it", "with more than 50 health, human rights and other groups"),
        ("how many ppl have admin rights", "Three Palantir contractors hold admin rights."),
        ("how many national data opt outs were there", "There were 2.75 million opt-outs."),
    ],
)
def test_a_number_of_the_counted_thing_answers(clause: str, sentence: str) -> None:
    found = counted(clause)
    assert found is not None and found.given_by(sentence)


@pytest.mark.parametrize(
    ("clause", "sentence"),
    [
        # numbers of something else, and dates, are near misses
        ("how many people opted out in july 2021", "On 19 July 2021 the minister wrote to GPs."),
        # the day of a date is no count of what follows it
        (
            "how many gp practices actually joined the bma action",
            "From Friday 1 May 2026 the BMA urged practices in England to act.",
        ),
        ("how many people were on the list", "16 March 2020: the government advises people."),
        ("how many gp practices send data to cprd", "CPRD was set up in 2012 with 3 partners."),
        ("how many complaints does the ico get", "Organisations had 40 days to reply, for £10."),
        # the number counts another noun first ("six letters for each user")
        ("how many people wrote in", "It drafts six letters for each user of the site."),
        # "research centres" are not researchers
        (
            "how many researchers have used it",
            "It won £4.5m, part of £49m for 17 research centres.",
        ),
    ],
)
def test_a_number_of_something_else_does_not(clause: str, sentence: str) -> None:
    found = counted(clause)
    assert found is not None and not found.given_by(sentence)


def test_a_rate_is_not_a_total_unless_a_rate_is_asked() -> None:
    rate = "Around 3,000 people were joining each day."
    total = counted("how many people have joined our future health")
    assert total is not None and not total.given_by(rate)
    per_day = counted("how many people join our future health each day")
    assert per_day is not None and per_day.rate and per_day.given_by(rate)


def test_asked_how_many_so_far_an_aim_is_not_an_answer() -> None:
    aim = "The Generation Study aims to sequence the genomes of 100,000 newborn babies."
    so_far = counted("how many babies have been signed up to the generation study so far")
    assert so_far is not None and so_far.actual and not so_far.given_by(aim)
    assert so_far.given_by("By March 2026, 30,000 babies had taken part.")
    assert so_far.given_by("By 1 June, 1,200 babies had taken part.")
    target = counted("how many babies does the generation study want")
    assert target is not None and target.given_by(aim)
