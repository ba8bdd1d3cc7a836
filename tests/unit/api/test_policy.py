"""The role policy (dermplatform.api.policy): each rule for the three roles, an inactive user and nobody signed in,
and the same answers through the templates' `can`."""

import pytest
from django.contrib.auth.models import AnonymousUser

from dermplatform.api import policy
from dermplatform.api.policy import Can

pytestmark = pytest.mark.django_db

RULES = {
    # rule: (staff, dermatologist, admin)
    "read_clinical": (True, True, False),
    "write_clinical": (True, False, False),
    "retry_ai": (True, False, False),
    "review": (False, True, False),
    "enter_histology": (True, True, False),
    "read_clinic_reports": (False, True, True),
    "read_access_history": (False, True, False),
    "administer": (False, False, True),
}


def test_a_rule_given_a_clinic_asks_that_the_user_works_there(staff, outsider_staff):
    assert policy.can_retry_ai(staff, staff.clinic_id)
    assert not policy.can_retry_ai(outsider_staff, staff.clinic_id)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_by_role(rule, staff, dermatologist, admin_user):
    check = getattr(policy, f"can_{rule}")
    assert (check(staff), check(dermatologist), check(admin_user)) == RULES[rule]
    assert (getattr(Can(staff), rule), getattr(Can(dermatologist), rule), getattr(Can(admin_user), rule)) == RULES[rule]


@pytest.mark.parametrize("rule", RULES)
def test_nobody_and_an_inactive_user_may_nothing(rule, staff):
    staff.is_active = False
    check = getattr(policy, f"can_{rule}")
    assert not check(staff) and not check(AnonymousUser()) and not check(None)
    assert not getattr(Can(None), rule)
