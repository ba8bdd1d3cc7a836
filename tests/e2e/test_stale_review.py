"""Two dermatologists in two real browsers: one has the review form open and types, the other reviews the case
or takes it over meanwhile. The first one's submission is refused ("not saved", with who did what) with the
typed text kept on the page, and recording it again is a deliberate act (never a silent overwrite)."""

import contextlib
import os
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis.models import Review
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DermatologistFactory, StaffFactory
from tests.unit.diagnosis.test_claims import waiting_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))
NOTES = "Blue-white veil at 6 o'clock; asymmetric."


@pytest.fixture
def two_dermatologists(browser, live_server):
    staff = StaffFactory()
    first = DermatologistFactory(clinic=staff.clinic, first_name="Ada", last_name="Lovelace")
    second = DermatologistFactory(clinic=staff.clinic, first_name="Grace", last_name="Hopper")
    # The AI's opinion is melanoma (flagged): confirm + excision fits it.
    case = waiting_case(staff, contextlib.nullcontext)
    pages = []
    for user in (first, second):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in(page, user.username, PASSWORD)
        page.wait_for_url("**/review/")
        pages.append(page)
    yield case, first, second, pages[0], pages[1]
    for page in pages:
        page.context.close()


def _type_decision(page):
    page.get_by_label("Confirm the AI's diagnosis").check()
    page.get_by_label("Excision", exact=True).check()
    page.fill("#id_notes", NOTES)


def test_a_review_recorded_meanwhile_refuses_the_open_form_and_keeps_the_text(two_dermatologists):
    case, first, second, mine, theirs = two_dermatologists
    url = f"/review/cases/{case.public_id}/"
    mine.goto(url)
    _type_decision(mine)

    # The colleague takes the case over and records a referral first.
    theirs.goto(url)
    theirs.get_by_role("button", name="Take over this case").click()
    theirs.wait_for_url(f"**{url}")
    theirs.get_by_label("Confirm the AI's diagnosis").check()
    theirs.get_by_label("Referral", exact=True).check()
    theirs.get_by_role("button", name="Record review").click()
    theirs.wait_for_url("**/review/")

    mine.get_by_role("button", name="Record review").click()
    mine.wait_for_load_state()
    stale = mine.get_by_test_id("review-stale")
    assert stale.is_visible()
    assert "Not saved: Grace Hopper recorded a review" in stale.inner_text()
    assert mine.input_value("#id_notes") == NOTES  # the typed text, kept
    assert mine.get_by_label("Excision", exact=True).is_checked()
    assert list(Review.objects.filter(case=case).values_list("reviewer_id", "plan")) == [(second.pk, "referral")]
    SHOTS.mkdir(parents=True, exist_ok=True)
    mine.screenshot(path=str(SHOTS / "review-stale-refused.png"), full_page=True)

    # Having read their review, recording it again replaces it knowingly.
    mine.get_by_role("button", name="Record review").click()
    mine.wait_for_url("**/review/")
    current = Review.objects.get(case=case, superseded_by__isnull=True)
    assert (current.reviewer_id, current.plan, current.notes) == (first.pk, "excision", NOTES)


def test_a_take_over_refuses_the_open_form_keeps_the_text_and_offers_to_take_it_back(two_dermatologists):
    case, first, second, mine, theirs = two_dermatologists
    url = f"/review/cases/{case.public_id}/"
    mine.goto(url)  # opening it claims it for me
    _type_decision(mine)

    theirs.goto(url)
    theirs.get_by_role("button", name="Take over this case").click()
    theirs.wait_for_url(f"**{url}")

    mine.get_by_role("button", name="Record review").click()
    mine.wait_for_load_state()
    assert "Not saved: Grace Hopper took this case" in mine.get_by_test_id("review-stale").inner_text()
    assert mine.input_value("#id_notes") == NOTES
    assert not Review.objects.filter(case=case).exists()

    mine.get_by_test_id("take-over-and-record").click()
    mine.wait_for_url("**/review/")
    review = Review.objects.get(case=case)
    assert (review.reviewer_id, review.notes) == (first.pk, NOTES)
