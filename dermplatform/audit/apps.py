from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dermplatform.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from celery import signals

        from . import history, receivers  # noqa: F401  (receivers: sign-in, sign-out, failed sign-in, lockout)

        signals.task_prerun.connect(history.task_started, weak=False, dispatch_uid="history_task_started")
        signals.task_postrun.connect(history.task_finished, weak=False, dispatch_uid="history_task_finished")
