from django.db import models


class ClassificationJob(models.Model):
    """The AI pipeline's bookkeeping for one image: when it was queued, how often, and how its tries went.

    The sweep reads it to tell an image that is really lost from one merely waiting in a backlog, and to stop
    after `attempts` failed tries; `failed_at` and `failure_reason` are what the image shows as "AI failed".
    """

    image = models.OneToOneField(
        "patients.LesionImage", on_delete=models.CASCADE, primary_key=True, related_name="ai_job"
    )
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When its task last reached the broker.")
    times_queued = models.PositiveIntegerField(default=0, help_text="Tasks sent for it: upload, sweep, staff retry.")
    attempts = models.PositiveIntegerField(default=0, help_text="Tries that ended in an error.")
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="When the AI gave up on it.")
    failure_reason = models.TextField(blank=True)
    # The "delayed" clock (diagnosis.inference.ai_waiting) runs from the upload, or from here when staff asked again.
    retried_at = models.DateTimeField(null=True, blank=True, help_text="When staff last asked the AI again.")
    # The worker passing it through the model now (alone or in a batch): another worker's task for it waits until
    # the claim is released, lapses (after classify_image's hard time limit) or its holder is known to be dead.
    claimed_by = models.CharField(max_length=200, blank=True, help_text="The worker process classifying it now.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When that worker claimed it.")
    batch_pending = models.BooleanField(
        default=False,
        help_text="Its last try was a batch pass that did not finish: its next try goes alone, counted by the batch.",
    )
    # The "delayed" clock (diagnosis.inference.ai_waiting) runs from the upload, or from here when staff asked again.
    retried_at = models.DateTimeField(null=True, blank=True, help_text="When staff last asked the AI again.")

    def __str__(self) -> str:
        return f"AI job of image {self.image_id}"

    @property
    def failed(self) -> bool:
        return self.failed_at is not None
