"""Who may do what: the role rules that API permissions, page views, services and templates ask, in one place.

Clinic staff register patients, open cases, upload and ask the AI again; dermatologists review; both read their
clinic's records; admins work in the Django admin and read the clinics' reports. A rule given a record's clinic
also asks that the user works there; which rows a user reaches is decided by each model's visible_to(), not here.
Templates ask through the `can` context value (dermplatform.api.context_processors)."""

from dermplatform.accounts.models import Role

CLINICAL_READERS = frozenset({Role.STAFF, Role.DERMATOLOGIST})
CLINICAL_WRITERS = frozenset({Role.STAFF})
REVIEWERS = frozenset({Role.DERMATOLOGIST})
HISTOLOGY_WRITERS = frozenset({Role.STAFF, Role.DERMATOLOGIST})
REPORT_READERS = frozenset({Role.DERMATOLOGIST, Role.ADMIN})
ADMINISTRATORS = frozenset({Role.ADMIN})


def has_role(user, roles, clinic_id: int | None = None) -> bool:
    """An active, signed-in user with one of `roles`; given `clinic_id`, of that clinic too (a record's clinic)."""
    if not (user is not None and user.is_authenticated and user.is_active and user.role in roles):
        return False
    return clinic_id is None or user.clinic_id == clinic_id


def can_read_clinical(user, clinic_id: int | None = None) -> bool:
    """Patients, cases, images, AI opinions and reviews of the user's clinic."""
    return has_role(user, CLINICAL_READERS, clinic_id)


def can_write_clinical(user, clinic_id: int | None = None) -> bool:
    """Register and change patients, open cases, upload images."""
    return has_role(user, CLINICAL_WRITERS, clinic_id)


def can_retry_ai(user, clinic_id: int | None = None) -> bool:
    return has_role(user, CLINICAL_WRITERS, clinic_id)


def can_review(user, clinic_id: int | None = None) -> bool:
    """The review queue, claims and reviews."""
    return has_role(user, REVIEWERS, clinic_id)


def can_enter_histology(user, clinic_id: int | None = None) -> bool:
    return has_role(user, HISTOLOGY_WRITERS, clinic_id)


def can_read_clinic_reports(user) -> bool:
    """The clinics' CSV export, real-world performance and local validation (a dermatologist: of their clinic)."""
    return has_role(user, REPORT_READERS)


def can_read_access_history(user, clinic_id: int | None = None) -> bool:
    """Who read a patient's records: the clinic's dermatologists."""
    return has_role(user, REVIEWERS, clinic_id)


def can_administer(user) -> bool:
    """Users, clinics and model versions, through the Django admin."""
    return has_role(user, ADMINISTRATORS)


class Can:
    """The rules for one user, as templates read them: {% if can.review %}."""

    def __init__(self, user):
        self.read_clinical = can_read_clinical(user)
        self.write_clinical = can_write_clinical(user)
        self.retry_ai = can_retry_ai(user)
        self.review = can_review(user)
        self.enter_histology = can_enter_histology(user)
        self.read_clinic_reports = can_read_clinic_reports(user)
        self.read_access_history = can_read_access_history(user)
        self.administer = can_administer(user)
