"""Local validation before go-live: a clinic scores the active model on a labelled set of its own images, reads
the figures (diagnosis.reports.local_validation) and may adopt its own flag thresholds (ClinicThresholds)."""
