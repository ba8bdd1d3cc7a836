from django.db import models


class Runtime(models.TextChoices):
    LITERT = "litert", "LiteRT (converted at registration)"
    KERAS = "keras", "Keras (conversion failed or not attempted)"


class ModelVersion(models.Model):
    """A trained model folder (ml/ layout: model.keras + model.json), identified by the file's SHA-256."""

    name = models.CharField(max_length=200)
    sha256 = models.CharField("SHA-256 of the .keras file", max_length=64, unique=True)
    directory = models.CharField(max_length=500, help_text="Folder holding model.keras and model.json on the worker.")
    classes = models.JSONField()
    card = models.JSONField(default=dict, help_text="model.json as loaded: preprocessing, training data, metrics.")
    is_active = models.BooleanField(default=False, help_text="The version the inference worker uses.")
    notes = models.TextField(blank=True)
    # The .keras file stays the source of truth; the LiteRT conversion is what the worker runs.
    runtime = models.CharField(max_length=10, choices=Runtime.choices, default=Runtime.KERAS)
    litert_sha256 = models.CharField("SHA-256 of the LiteRT file", max_length=64, blank=True)
    runtime_note = models.TextField(blank=True, help_text="Why the version falls back to Keras, when it does.")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"
