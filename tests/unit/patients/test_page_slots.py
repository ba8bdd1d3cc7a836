"""patients offers slots on its pages that diagnosis fills (patients never loads diagnosis's template tags)."""

import pytest
from django.urls import reverse

from patients.page_slots import page_slots, slot_register


def test_an_unknown_slot_is_refused_by_name():
    with pytest.raises(KeyError, match="no slot 'case_sidebar'"):
        slot_register("case_sidebar", "x.html")


def test_diagnosis_fills_every_slot_once():
    slots = page_slots()
    assert all(len(templates) == 1 for templates in slots.values()), slots
    slot_register("case_status", slots["case_status"][0])  # registering again (a second ready()) adds nothing
    assert page_slots() == slots


def test_the_case_page_shows_what_diagnosis_puts_in_its_slots(staff_client, case):
    page = staff_client.get(reverse("patients:case_detail", args=[case.public_id])).content.decode()
    assert 'data-testid="enter-histology"' in page  # the case_opinion slot
    assert "Case:" in page
