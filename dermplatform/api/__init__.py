"""The API layer every app builds on: base views (authentication, permission), one binary renderer, the error
classes and the one exception handler (DRF's EXCEPTION_HANDLER), private download headers, and the role policy.

It imports no app: apps import it."""
