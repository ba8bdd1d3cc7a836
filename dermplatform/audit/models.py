"""The append-only audit trail: who read or wrote which patient record, when, from where, and whether it was allowed.

Events name objects by type and public id only: no names, record numbers, notes or search terms (an admin search
is kept as a keyed hash of its term). The
application never changes or deletes an event (no update or delete path here, and a PostgreSQL trigger
refuses UPDATE and DELETE on the table).
"""

import pghistory
import pghistory.models
from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    PATIENT_LIST = "patient.list", "Listed patients"
    PATIENT_VIEW = "patient.view", "Viewed patient"
    PATIENT_CREATE = "patient.create", "Registered patient"
    PATIENT_UPDATE = "patient.update", "Updated patient"
    PATIENT_ARCHIVE = "patient.archive", "Archived patient"
    PATIENT_ACCESS_HISTORY = "patient.access_history", "Viewed patient's access history"
    CASE_LIST = "case.list", "Listed cases"
    CASE_VIEW = "case.view", "Viewed case"
    CASE_CREATE = "case.create", "Opened case"
    CASE_UPDATE = "case.update", "Updated case"
    CASE_ARCHIVE = "case.archive", "Archived case"
    IMAGE_LIST = "image.list", "Listed images"
    IMAGE_VIEW = "image.view", "Viewed image details"
    IMAGE_CONTENT = "image.content", "Viewed image"
    IMAGE_THUMBNAIL = "image.thumbnail", "Viewed image thumbnail"
    IMAGE_UPLOAD = "image.upload", "Uploaded image"
    IMAGE_DUPLICATE = "image.duplicate", "Uploaded a file already stored for another patient"
    PREDICTION_VIEW = "prediction.view", "Viewed AI opinion"
    HEATMAP_VIEW = "prediction.heatmap", "Viewed heat-map"
    AI_RETRY = "prediction.retry", "Asked the AI again"
    PREDICTION_CREATE = "prediction.create", "AI opinion recorded"
    PREDICTION_FAILED = "prediction.failed", "AI gave up on an image"
    REVIEW_LIST = "review.list", "Viewed reviews"
    REVIEW_CREATE = "review.create", "Reviewed case"
    HISTOLOGY_LIST = "histology.list", "Viewed histology"
    HISTOLOGY_CREATE = "histology.create", "Entered histology"
    LESION_VIEW = "lesion.view", "Viewed lesion and its visits"
    QUEUE_VIEW = "queue.view", "Viewed review queue"
    REPORT_PDF = "report.pdf", "Exported case report (PDF)"
    REPORT_FHIR = "report.fhir", "Exported case report (FHIR)"
    CASES_EXPORT = "report.csv", "Exported the clinic's cases (CSV)"
    PERFORMANCE_VIEW = "performance.view", "Viewed real-world AI performance"
    VALIDATION_LIST = "validation.list", "Listed local validation runs"
    VALIDATION_VIEW = "validation.view", "Viewed a local validation run"
    VALIDATION_CREATE = "validation.create", "Started a local validation run"
    VALIDATION_DELETE = "validation.delete", "Deleted a local validation run"
    THRESHOLDS_ADOPT = "thresholds.adopt", "Adopted clinic thresholds"
    THRESHOLDS_RESTORE = "thresholds.restore", "Restored the model card's thresholds"
    CLAIM_TAKE = "claim.take", "Claimed case for review"
    CLAIM_TAKE_OVER = "claim.take_over", "Took over a colleague's claim"
    CLAIM_RELEASE = "claim.release", "Released claim"
    WARNING_CHECK = "warning.check", "Marked an image warning checked"
    WORKLIST_VIEW = "worklist.view", "Viewed the worklist"
    WORKLIST_EXPORT = "worklist.csv", "Exported the worklist (CSV)"
    WORKLIST_DONE = "worklist.done", "Marked a worklist item done"
    WORKLIST_REOPEN = "worklist.reopen", "Reopened a worklist item"
    SIGN_IN = "auth.sign_in", "Signed in"
    SIGN_IN_FAILED = "auth.sign_in_failed", "Failed sign-in"
    SIGN_IN_BUSY = "auth.sign_in_busy", "Sign-in refused: server busy, no password checked"
    SIGN_OUT = "auth.sign_out", "Signed out"
    LOCKED_OUT = "auth.locked_out", "Locked out"
    UNLOCKED = "auth.unlocked", "Unlocked"
    SESSION_EXPIRED = "auth.session_expired", "Session expired"
    TOKEN_ISSUED = "auth.token_issued", "API token issued"
    TOKEN_REVOKED = "auth.token_revoked", "API token revoked"
    OTP_DEVICE_ADDED = "auth.otp_added", "Two-factor device set up"
    OTP_DEVICE_REMOVED = "auth.otp_removed", "Two-factor device removed"
    OTP_VERIFIED = "auth.otp_verified", "Two-factor code accepted"
    OTP_FAILED = "auth.otp_failed", "Two-factor code refused"
    RECOVERY_CODES = "auth.recovery_codes", "Recovery codes issued"
    # Reads in the Django admin (dermplatform.audit.admin_reads): the record's type, and its id where there is one.
    ADMIN_LIST = "admin.list", "Listed records in the admin"
    ADMIN_SEARCH = "admin.search", "Searched records in the admin"
    ADMIN_VIEW = "admin.view", "Viewed a record in the admin"
    ADMIN_HISTORY = "admin.history", "Viewed a record's admin change log"
    VALUE_HISTORY = "admin.value_history", "Viewed value history in the admin"
    # Which model version the AI uses (diagnosis.inference.model_activation), set by admins.
    MODEL_ACTIVATE = "model.activate", "Made a model version active"
    MODEL_DEACTIVATE = "model.deactivate", "Switched off the active model version"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"  # not signed in, wrong role, another clinic's or no such record
    REFUSED = "refused", "Refused"  # allowed to try, but the write was invalid and nothing changed
    # Sent to sign in or to the second factor first (a 302 to those pages): nothing was read or written. Not shown
    # in a patient's access history.
    REDIRECTED = "redirected", "Redirected to sign in or the second factor"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")

    def for_object(self, object_type: str, public_id):
        return self.filter(object_type=object_type, object_id=public_id)


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: a person with a history is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The user name tried at a failed sign-in (no user behind it), or the actor's at the time.
    username = models.CharField(max_length=150, blank=True)
    clinic = models.ForeignKey("accounts.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.UUIDField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The X-Request-ID the client or its proxy sent, if well formed: for matching its logs, never our own id.
    client_request_id = models.CharField(max_length=64, blank=True)
    # Names of the fields a write changed, never their values.
    changed_fields = models.JSONField(default=list, blank=True)
    # An admin search: a keyed hash of the term (dermplatform.audit.admin_reads.search_digest), never the term, and
    # the number of results (of a list too).
    search_digest = models.CharField(max_length=64, blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class ValueChange(pghistory.models.Events):
    """One row of the value history (dermplatform.audit.history), read across every tracked model's event table.

    pghistory's Events computes `pgh_diff` ({column: [old, new]}) against the previous snapshot of the same row; the
    acting user and request id come from the context stored with each row. For one record's history in code or a
    shell (`ValueChange.objects.tracks(patient)`): it diffs every row it reads, so the admin lists each event table
    on its own instead (history_admin). PostgreSQL only (a query over JSONB).
    """

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, related_name="+"),
    )
    request_id = pghistory.ProxyField("pgh_context__request_id", models.CharField(max_length=64, null=True))

    class Meta:
        proxy = True
        verbose_name = "value change"
        verbose_name_plural = "value history"
