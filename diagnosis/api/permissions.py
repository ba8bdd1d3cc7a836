"""Who may use the diagnosis part of the API. Deny by default.

Reading an AI opinion, a heat-map or a case's reviews follows
patients.api.permissions.ClinicalApiPermission (staff and dermatologists read;
retrying the AI is a write, so staff only). Reviewing and the review queue are
for dermatologists alone. Admins and anyone without a clinic get 403,
anonymous requests 401; another clinic's objects are not found (404).
"""

from dermplatform.accounts.models import Role
from patients.api.permissions import ClinicalApiPermission


class DermatologistApiPermission(ClinicalApiPermission):
    message = "Only dermatologists review cases."
    read_roles = write_roles = frozenset({Role.DERMATOLOGIST})


class HistologyApiPermission(ClinicalApiPermission):
    message = "Only the clinic's staff and dermatologists enter histology."
    read_roles = write_roles = frozenset({Role.STAFF, Role.DERMATOLOGIST})
