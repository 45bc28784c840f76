"""A question asking for a phone number, email, web address or opening hours is answered only
by one."""

from __future__ import annotations

import pytest

from bot.answering.contacts import contact_asked, holds_contact


@pytest.mark.parametrize(
    ("clause", "kind"),
    [
        ("is there an email address i can send an ico complaint to directly", "email"),
        ("whats the number to ring", "phone"),
        ("what's the ico phone line number", "phone"),
        ("whats the website for opting out", "web"),
        # the hours a helpline is open, not its number
        ("what hours is the ico helpline open", "hours"),
        ("whats the opening times for the contact centre", "hours"),
        ("what time does the helpline close on fridays", "hours"),
        # mentioned, not asked for
        ("do they keep my address and email", None),
        ("can i opt out on the website", None),
        ("what is the number of trusts on the fdp", None),
        ("where do i find my nhs number", None),
        ("is the consultation still open", None),
    ],
)
def test_what_way_of_getting_in_touch_is_asked_for(clause: str, kind: str | None) -> None:
    assert contact_asked(clause) == kind


def test_a_sentence_holds_a_contact_of_the_kind_asked() -> None:
    phone = "The NHS contact centre handles opt-outs on 0300 303 5678, Monday to Friday."
    assert holds_contact("phone", phone) and not holds_contact("email", phone)
    assert holds_contact("email", "Write to enquiries@nhsdigital.nhs.uk with your details.")
    assert holds_contact("web", "Opt out online at www.nhs.uk/your-nhs-data-matters.")
    form = "You can complain to the ICO using its online form."
    assert not any(holds_contact(kind, form) for kind in ("phone", "email", "web"))
    assert not holds_contact("phone", "Carnall Farrar counted 185 recommendations in 2022.")


def test_opening_hours_are_times_or_days() -> None:
    assert holds_contact("hours", "The helpline is open 9am to 5pm, Monday to Friday.")
    assert holds_contact("hours", "Lines are open from 08:30 to 17:00.")
    number = "The ICO's helpline number is 0303 123 1113."
    assert holds_contact("phone", number) and not holds_contact("hours", number)
