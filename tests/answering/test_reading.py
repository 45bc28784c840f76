"""Reading a question closely: its constraints, the clause that asks, and what a source says it
does not give; and the checks that refuse before any weighing."""

from __future__ import annotations

import pytest
from support import refusal_text, sentence

from bot.answering.decision import Refusal, answerable, holds_value, says_it_lacks
from bot.answering.question import Question
from bot.answering.reading import asked_clause, constraints, disclaimed


@pytest.mark.parametrize(
    ("question", "years", "item", "nations", "months"),
    [
        ("whats the 8th caldicott principle actually about", set(), 8, set(), set()),
        ("what did recommendation five say", set(), 5, set(), set()),
        ("the fourth aim of the generation study?", set(), 4, set(), set()),
        ("how many opted out in july 2021 after gpdpr was paused", {"2021"}, None, set(), {"jul"}),
        ("how many people in scotland have opted out", set(), None, {"scotland"}, set()),
        ("what does the welsh government say", set(), None, {"wales"}, set()),
        ("since 2020 how many trusts joined", set(), None, set(), set()),  # a range, not a year
        ("who runs nhs england", set(), None, set(), set()),  # an organisation, not a nation
        ("who got the fdp contract", set(), None, set(), set()),
    ],
)
def test_constraints(
    question: str, years: set[str], item: int | None, nations: set[str], months: set[str]
) -> None:
    c = constraints(question)
    assert (set(c.years), c.item, set(c.nations), set(c.months)) == (years, item, nations, months)


def test_constraints_are_met_by_the_item_itself_not_its_neighbour() -> None:
    c = constraints("whats the 4th principle")
    assert c.met_by('4. "Access should be on a strict need-to-know basis"')
    assert not c.met_by('3. "Use the minimum necessary confidential information"')
    assert c.met_by("The 2020 revision added Principle 4 in its present form.")


def test_a_year_may_come_from_the_passage_around_the_sentence() -> None:
    c = constraints("how many opted out in 2021")
    assert c.met_by("It rose to 1.3 million.", passage="In June 2021 opt-outs surged. It rose …")
    assert not c.met_by("It rose to 1.3 million.", passage="In 2023 the figure was 3.4 million.")


@pytest.mark.parametrize(
    ("message", "clause"),
    [
        ("who got the fdp contract?", "who got the fdp contract?"),
        ("hi all. quick question: when did care.data close?", "when did care.data close?"),
        ("my gp said no. can i still see my records? thanks", "can i still see my records?"),
        ("does anyone know if the opt-out covers research", "the opt-out covers research"),
    ],
)
def test_asked_clause(message: str, clause: str) -> None:
    assert asked_clause(message) == clause


@pytest.mark.parametrize(
    ("clause", "kind"),
    [
        # an opening clause sets the scene; what follows the comma asks
        ("when the app crashed after launch, how many hours was it down", "count"),
        ("if i opt out now, who can still see my record?", "name"),
        # "when is …" asks when
        ("when is the opt out going live, whats the launch date", "date"),
    ],
)
def test_a_clause_setting_the_scene_does_not_decide_the_kind_asked(clause: str, kind: str) -> None:
    assert Question(clause).kind.kind == kind


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        (
            "The sources reviewed for this brief do not give the number of babies recruited.",
            "the number of babies recruited",
        ),
        (
            "The report does not name the firm that did the audit, and …",
            "the firm that did the audit",
        ),
        ("The contract is worth £330 million.", None),
        ("Patients do not have to give consent for direct care.", None),
        # how news reports say a fact is not public
        (
            "It has not been reported whether the former employee has been charged.",
            "whether the former employee has been charged",
        ),
        (
            "Neither the ICO nor the company has said whether the penalty was paid in full.",
            "whether the penalty was paid in full",
        ),
        (
            "Nor was it made public what the internal investigation concluded.",
            "what the internal investigation concluded",
        ),
        ("NHS Digital never named the global service provider.", "the global service provider"),
        ("It is not known how many contacts were reached.", "how many contacts were reached"),
        (
            "The final split of the £6.6 million had not been published when we went to press.",
            "the final split of the £6.6 million",
        ),
        ("No estimate was published of how many infections it caused.", "any estimate"),
        ("The result has **not been published**, so we cannot say.", "the result"),
        ("The report was published in May 2019.", None),
        ("The minister did not say that the scheme would end.", None),
    ],
)
def test_disclaimed(sentence: str, missing: str | None) -> None:
    assert disclaimed(sentence) == missing


def test_a_report_saying_it_is_not_known_whether_it_happened_refuses_a_yes_no_question() -> None:
    q = Question("did the bupa guy ever get caught? was he charged with anything")
    unsaid = sentence("It has not been reported whether the former employee has been charged.")
    other = sentence("The former employee took the details of 547,000 customers.", rank=1)
    refusal = answerable(q, [unsaid, other])
    assert isinstance(refusal, Refusal)
    assert "it is not known whether the former employee has been charged" in refusal.text()


def test_a_source_saying_it_lacks_the_figure_makes_a_refusal_that_says_so() -> None:
    q = Question("how many babies have been signed up to the generation study so far")
    ranked = [
        sentence("The sources do not give the number of babies recruited to the study.", 0, 0.6),
        sentence("The study aims to sequence 100,000 newborn genomes.", 1, 0.5),
    ]
    refusal = answerable(q, ranked)
    assert (
        isinstance(refusal, Refusal)
        and refusal.missing == "the number of babies recruited to the study"
    )
    assert "don't give the number of babies" in refusal.text()


def test_a_what_is_question_is_not_refused_for_a_missing_detail() -> None:
    q = Question("what is not with my nhs data")
    ranked = [sentence("The sources do not name the people who run Not With My NHS Data.", 0, 0.9)]
    assert not isinstance(answerable(q, ranked), Refusal)


def test_a_figure_for_another_year_is_no_answer() -> None:
    q = Question("whats the national data opt out figure for 2025")
    other_year = sentence("As of April 2023, 3.4 million people had opted out.")
    assert "2025" in refusal_text(q, [other_year])
    right_year = sentence("In March 2025, 3.6 million people had opted out.")
    assert answerable(q, [other_year, right_year]) == [right_year]


def test_a_sentence_dated_to_another_year_is_not_the_figure_for_the_year_asked() -> None:
    c = constraints("how many people have joined as of 2026")
    passage = "In 2026 the programme kept recruiting. A blog in October 2024 said 1.19 million."
    assert not c.met_by("A blog in October 2024 said 1.19 million.", passage=passage)
    assert c.met_by("By March 2026, 2.1 million had joined.", passage=passage)
    assert c.met_by("Recruitment is open to all.", passage=passage)  # undated: the passage's year
    assert c.met_by("Under the Data Protection Act 2018 it had 2 million.", passage=passage)


def test_a_devolved_nation_beside_england_is_compared_not_asked_about() -> None:
    assert not constraints("does the strategy apply in wales or is it just england").nations
    assert constraints("does nhs england run it in wales").nations == {"wales"}


def test_a_how_many_question_needs_a_sentence_with_a_number() -> None:
    q = Question("how many people in the uk have joined our future health")
    assert isinstance(answerable(q, [sentence("Anyone can volunteer online.")]), Refusal)
    assert holds_value("count", "around 3,000 people a day") and holds_value("date", "in May")
    # a month's name, not a word that starts like one, nor the verb "may"
    assert holds_value("date", "on 5 may") and holds_value("date", "in Sept")
    for dateless in ("Venues used a separate app.", "The decision stands.", "It may end."):
        assert not holds_value("date", dateless)
    assert holds_value("amount", "It is free of charge for patients.")  # free is an amount
    assert not holds_value("amount", "Researchers apply through the online portal.")


def test_a_how_many_question_needs_a_number_of_what_it_counts() -> None:
    q = Question("how many people opted out in july 2021 after gpdpr was paused")
    a_date = sentence("On 19 July 2021, health minister Jo Churchill wrote to all GPs.")
    assert "a number of people" in refusal_text(q, [a_date])
    a_count = sentence("In July 2021, 1.3 million people opted out of GP data sharing.")
    assert answerable(q, [a_date, a_count]) == [a_count]


def test_a_how_much_question_about_money_needs_a_sum_of_money() -> None:
    q = Question("how much does it cost to apply for data through DARS")
    a_share = sentence("Applications to DARS rose by 35 per cent in 2018.")
    assert "the amount asked for" in refusal_text(q, [a_share])
    a_fee = sentence("DARS charges £2,000 for a standard application.")
    assert answerable(q, [a_share, a_fee]) == [a_fee]
    share = Question("by how much did DARS applications go up in 2018")
    assert answerable(share, [a_share]) == [a_share]
    # a sum has its currency: "1.7 million people" is a count
    assert not holds_value("money", "About 1.7 million extra people were added.")
    assert holds_value("money", "It cost £1.7 million") and holds_value("money", "€10m")
    assert holds_value("money", "a fine of 92 million pounds")


def test_a_who_chairs_question_needs_a_person_named_as_chair() -> None:
    q = Question("who chaired the uk biobank oversight committee that wrote the report")
    no_name = sentence("UK Biobank's Oversight Committee investigated the incident.")
    assert "the name of the chair." in refusal_text(q, [no_name])
    named = sentence("Professor Jane Smith, who chaired the Oversight Committee, said so.")
    assert answerable(q, [no_name, named]) == [named]


def test_paid_so_far_is_not_answered_by_what_the_contract_is_worth() -> None:
    q = Question("how much has iqvia actually been paid so far under the contract")
    worth = sentence("IQVIA won a three-year contract worth £28 million.")
    assert "what has been paid or spent so far" in refusal_text(q, [worth])
    paid = sentence("By March 2025 NHS England had paid IQVIA £9.1 million.")
    assert answerable(q, [worth, paid]) == [paid]
    assert answerable(Question("how much is the iqvia contract worth"), [worth]) == [worth]


def test_an_answer_led_by_a_source_saying_it_lacks_the_fact_is_a_refusal() -> None:
    lacks = sentence("The sources reviewed do not record when, or whether, the action ended.")
    refusal = says_it_lacks(Question("is the bma data sharing action over yet"), [lacks])
    assert refusal is not None and refusal.missing == "when, or whether, the action ended"
    assert "it is not known when, or whether, the action ended" in refusal.text()
    answer = sentence("The BMA ended the action on 1 October 2026.")
    assert says_it_lacks(Question("is the bma action over yet"), [answer, lacks]) is None
    assert says_it_lacks(Question("what is the bma action"), [lacks]) is None


def test_a_later_disclaimer_that_holds_the_question_refuses_but_one_about_a_detail_does_not() -> (
    None
):
    q = Question("what did the inquiry the minister promised actually conclude")
    top = sentence("An inquiry, the minister said, was under way.")
    lacks = sentence("Nor was it made public what the inquiry the minister promised concluded.")
    share = lambda text: 0.8 if "concluded" in text else 0.1  # noqa: E731
    refusal = says_it_lacks(q, [top, lacks], share)
    assert refusal is not None and "it is not known what the inquiry" in refusal.text()
    detail = sentence("It has not been reported whether anyone was disciplined.")
    assert says_it_lacks(q, [top, detail], lambda text: 0.1) is None


def test_an_unnamed_body_lacks_a_name_only_when_a_name_is_asked_for() -> None:
    text = "The clinic sent it on behalf of another charity, which has not been publicly named."
    assert disclaimed(text, name_asked=True) == "the name of the other charity"
    assert disclaimed(text) is None
    q = Question("which organisation was the clinic sending it for?")
    refusal = says_it_lacks(q, [sentence(text)])
    assert refusal is not None and refusal.missing == "the name of the other charity"
    assert says_it_lacks(Question("when did the clinic send it?"), [sentence(text)]) is None


def test_a_year_in_the_name_of_a_law_is_not_a_date() -> None:
    q = Question("when is northern ireland's opt out going live")
    law = sentence("An opt-out is being introduced under the Data Act (Northern Ireland) 2016.")
    assert isinstance(answerable(q, [law]), Refusal)
    assert isinstance(answerable(q, [sentence("It is coming under the 2016 Act.")]), Refusal)
    dated = sentence("The opt-out goes live in Northern Ireland in March 2027.")
    assert answerable(q, [law, dated]) == [dated]
