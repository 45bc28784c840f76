"""Acronyms and the names they stand for."""

from __future__ import annotations

from vectorstore.acronyms import initials, spelled_out


def test_initials_of_a_name_come_from_each_of_its_words_on() -> None:
    text = "The Federated Data Platform is live; read Data Security and Protection Toolkit"
    found = initials(text)
    assert {"tfdp", "fdp", "dp", "dspt", "spt"} <= found
    assert "fdpt" not in found  # two names, not one
    assert initials("no capitals here, nor a Single one") == set()


def test_spelled_out_reads_the_acronyms_a_text_defines() -> None:
    texts = [
        "NHS England runs the NHS Federated Data Platform (FDP) with trusts.",
        "Every organisation has a Senior Information Risk Owner and Data Protection Officer (DPO).",
        "The Data Security and Protection Toolkit (DSPT) is yearly. Palantir (PLTR) trades.",
    ]
    assert spelled_out(texts) == {
        "fdp": "Federated Data Platform",  # "NHS" is not part of it
        "dpo": "Data Protection Officer",  # the name starts after "and"
        "dspt": "Data Security and Protection Toolkit",
    }
