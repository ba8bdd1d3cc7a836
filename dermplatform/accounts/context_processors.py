from .sessions import seconds_left


def session(request):
    """Seconds the signed-in session has left, for the warning script (static/js/session_timeout.js)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated or not hasattr(request, "session"):
        return {}
    return {"session_seconds_left": max(0, seconds_left(request.session))}
