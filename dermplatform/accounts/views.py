from django.shortcuts import redirect


def home(request):
    """Send each signed-in user to the start page of their role."""
    return redirect(request.user.start_url())
