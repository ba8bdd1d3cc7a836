"""What patients announces to the rest of the platform (it never imports diagnosis)."""

from django.dispatch import Signal

# Sent after the upload's transaction committed, with `image_ids` (the LesionImage pks it stored).
images_stored = Signal()
