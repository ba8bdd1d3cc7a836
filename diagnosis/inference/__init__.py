"""The AI side of diagnosis: the model registry, enqueueing, the Celery task, attempts and failures, batching,
the sweep and worker warm-up. It never imports the review or the reports."""
