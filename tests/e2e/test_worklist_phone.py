"""The staff worklist on a phone (390 px), in a real browser: its items are cards, the whole card opens the item,
nothing scrolls sideways, and "Mark done" takes an item off the list (and "Reopen" puts it back)."""

import contextlib

import pytest

from diagnosis.models import WorklistMark
from tests.clinical_world import clinical_world, worklist_world
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DermatologistFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def world():
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    clinical_world(staff=staff, dermatologist=derm, capture_on_commit=contextlib.nullcontext)
    return {**worklist_world(staff=staff, dermatologist=derm), "staff": staff}


def _fits(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, f"the worklist is {width} px wide at {WIDTH} px"


def test_worklist_on_a_phone(phone, world):
    sign_in(phone, world["staff"].username, PASSWORD)
    phone.wait_for_url("**/patients/")
    assert phone.get_by_test_id("nav-worklist").inner_text() == "Worklist 5"  # in the top bar on every page
    phone.get_by_test_id("nav-worklist").click()
    phone.wait_for_url("**/worklist/")
    cards = phone.get_by_test_id("worklist-item")
    assert [cards.nth(i).get_attribute("data-kind") for i in range(cards.count())] == [
        "retake", "book", "book", "histology", "follow_up",  # clinical_world's case has an excision to book too
    ]
    _fits(phone)
    for i in range(cards.count()):
        box = cards.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        assert cards.nth(i).get_by_role("button", name="Mark done").is_visible()

    # The whole card opens the item: a tap on its top right corner, away from its text, opens the histology page.
    histology = phone.locator("[data-testid=worklist-item][data-kind=histology]")
    assert "Excisionplanned" in histology.inner_text()
    histology.scroll_into_view_if_needed()
    box = histology.bounding_box()  # in the viewport's coordinates, as the tap
    phone.mouse.click(box["x"] + box["width"] - 6, box["y"] + 6)
    phone.wait_for_url(f"**/review/cases/{world['excision'].public_id}/histology/")
    phone.go_back()
    phone.wait_for_url("**/worklist/")

    # Mark the booking done: it leaves the list, the top bar counts one fewer, "done" lists it with who did it.
    booking = phone.locator("[data-testid=worklist-item][data-kind=book]").filter(has_text="Excisionplanned")
    booking.get_by_role("button", name="Mark done").click()
    phone.wait_for_load_state("load")
    assert "Marked done" in phone.locator(".messages").inner_text()
    assert phone.locator("[data-testid=worklist-item][data-kind=book]").filter(has_text="Excisionplanned").count() == 0
    assert phone.get_by_test_id("worklist-item").count() == 4
    assert phone.get_by_test_id("nav-worklist").inner_text() == "Worklist 4"
    mark = WorklistMark.objects.get()
    assert (mark.kind, mark.case_id, mark.done_by_id) == ("book", world["excision"].pk, world["staff"].pk)
    recent = phone.get_by_test_id("worklist-recent")
    assert "Excision or biopsy to book" in recent.inner_text() and world["staff"].get_full_name() in recent.inner_text()
    _fits(phone)

    # Done by mistake: reopened, it is back.
    recent.get_by_role("button", name="Reopen").click()
    phone.wait_for_load_state("load")
    assert phone.locator("[data-testid=worklist-item][data-kind=book]").filter(has_text="Excisionplanned").count() == 1
    assert phone.get_by_test_id("nav-worklist").inner_text() == "Worklist 5"
