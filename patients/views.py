from django.shortcuts import render

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required


@role_required(Role.STAFF, Role.DERMATOLOGIST)
def patient_list(request):
    return render(request, "patients/patient_list.html", {"patients": []})
