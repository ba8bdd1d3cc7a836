from django.shortcuts import render

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required


@role_required(Role.DERMATOLOGIST)
def review_queue(request):
    return render(request, "diagnosis/queue.html", {"cases": []})
