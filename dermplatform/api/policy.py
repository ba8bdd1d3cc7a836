"""Who may do what: the role rules that API permissions, page views, services and templates ask, in one place.

Clinic staff register patients, open cases, upload and ask the AI again; dermatologists review; both read their
clinic's records; admins work in the Django admin and read the clinics' reports. Which rows a permitted user
reaches is decided by each model's visible_to(), not here. Templates ask through the `can` context value
(dermplatform.api.context_processors)."""

from dermplatform.accounts.models import Role

CLINICAL_READERS = frozenset({Role.STAFF, Role.DERMATOLOGIST})
CLINICAL_WRITERS = frozenset({Role.STAFF})
REVIEWERS = frozenset({Role.DERMATOLOGIST})
HISTOLOGY_WRITERS = frozenset({Role.STAFF, Role.DERMATOLOGIST})
REPORT_READERS = frozenset({Role.DERMATOLOGIST, Role.ADMIN})


def has_role(user, roles) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in roles)


def can_read_clinical(user) -> bool:
    """Patients, cases, images, AI opinions and reviews of the user's clinic."""
    return has_role(user, CLINICAL_READERS)


def can_write_clinical(user) -> bool:
    """Register and change patients, open cases, upload images."""
    return has_role(user, CLINICAL_WRITERS)


def can_retry_ai(user) -> bool:
    return has_role(user, CLINICAL_WRITERS)


def can_review(user) -> bool:
    """The review queue, claims and reviews."""
    return has_role(user, REVIEWERS)


def can_enter_histology(user) -> bool:
    return has_role(user, HISTOLOGY_WRITERS)


def can_read_clinic_reports(user) -> bool:
    """The clinic's CSV export, real-world performance and local validation."""
    return has_role(user, REPORT_READERS)


class Can:
    """The rules for one user, as templates read them: {% if can.review %}."""

    def __init__(self, user):
        self.read_clinical = can_read_clinical(user)
        self.write_clinical = can_write_clinical(user)
        self.retry_ai = can_retry_ai(user)
        self.review = can_review(user)
        self.enter_histology = can_enter_histology(user)
        self.read_clinic_reports = can_read_clinic_reports(user)
