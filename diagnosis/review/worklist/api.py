"""The worklist through the API: the open items of your clinic (filters as on the page), and marking one done or
reopening it. The clinic's staff and dermatologists; admins 403 (as on the other clinical endpoints), anonymous
401, another clinic's case 404. Reads audited by the audit middleware's routes, writes by the services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse

from diagnosis.review.worklist import selectors, services
from diagnosis.review.worklist.models import ItemKind
from patients import selectors as patient_selectors
from dermplatform.api.permissions import ClinicalApiPermission
from dermplatform.api.views import ClinicalApi, ClinicalListApi
from patients.models import Case


class WorklistApiPermission(ClinicalApiPermission):
    message = "Only the clinic's staff and dermatologists work on its worklist."
    read_roles = write_roles = frozenset(services.WORKLIST_ROLES)


class WorklistItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    kind_label = serializers.CharField()
    text = serializers.CharField(help_text="What to do, in words.")
    due = serializers.DateField(help_text="When it is due (the day it arose, for what is due at once).")
    overdue = serializers.SerializerMethodField()
    since = serializers.DateTimeField(help_text="When the fact behind the item arose.")
    fact = serializers.CharField(help_text="The fact the item shows: send it back to mark the item done.")
    case = serializers.UUIDField(source="case.public_id")
    lesion = serializers.UUIDField(source="case.lesion.public_id")
    patient = serializers.UUIDField(source="case.patient.public_id")
    case_url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "WorklistItem"

    def get_overdue(self, item) -> bool:
        return item.is_overdue()

    def get_case_url(self, item) -> str:
        return reverse("patients_api:case_detail", args=[item.case.public_id], request=self.context.get("request"))


class WorklistQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices, required=False)
    due_by = serializers.DateField(required=False)

    class Meta:
        ref_name = "WorklistQuery"


class WorklistApi(ClinicalListApi):
    permission_classes = [WorklistApiPermission]
    serializer_class = WorklistItemSerializer
    filter_backends = []  # the selector filters

    def get_queryset(self):  # the browsable API asks for it; the answer is the selector's list
        return Case.objects.none()

    @extend_schema(
        operation_id="worklist_list",
        parameters=[
            OpenApiParameter("kind", str, enum=ItemKind.values, description="Only this kind of item."),
            OpenApiParameter("due_by", {"type": "string", "format": "date"},
                             description="Only items due on or before this day (overdue included)."),
        ],
        responses=WorklistItemSerializer(many=True),
        description=(
            "The open items of your clinic's worklist, most urgent kind first, then the oldest due: discordant "
            "histology to call back, AI failures to retry, images to retake (not assessable), excisions and biopsies "
            "to book, histology outstanding (an excision or biopsy planned more than DERM_WORKLIST_HISTOLOGY_DAYS "
            "ago), follow-up visits due. An item leaves when marked done (POST .../done/) or when its facts settle. "
            "The clinic's staff and dermatologists."
        ),
    )
    def get(self, request):
        query = WorklistQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = selectors.items_filtered(
            selectors.worklist_items(user=request.user),
            kind=query.validated_data.get("kind", ""), due_by=query.validated_data.get("due_by"),
        )
        return self.list_response(items, WorklistItemSerializer)


class WorklistMarkSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    fact = serializers.CharField()
    case = serializers.UUIDField(source="case.public_id")
    done_by = serializers.CharField(source="done_by.username")
    done_at = serializers.DateTimeField()
    reopened_by = serializers.CharField(source="reopened_by.username", allow_null=True, default=None)
    reopened_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "WorklistMark"


class WorklistItemInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    fact = serializers.CharField(max_length=100, help_text="The item's `fact`, as the list gave it.")

    class Meta:
        ref_name = "WorklistItemInput"


class WorklistItemDoneApi(ClinicalApi):
    permission_classes = [WorklistApiPermission]

    def _item(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        item = WorklistItemInput(data=request.data)
        item.is_valid(raise_exception=True)
        return case, item.validated_data

    @extend_schema(
        operation_id="worklist_item_done", request=WorklistItemInput, responses={201: WorklistMarkSerializer},
        description=(
            "Mark the case's item done: it leaves the worklist until its fact changes. 422 when the item is not open "
            "as given (done meanwhile, or its fact changed)."
        ),
    )
    def post(self, request, public_id):
        case, item = self._item(request, public_id)
        mark = services.item_mark_done(case=case, user=request.user, **item)
        return Response(WorklistMarkSerializer(mark).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="worklist_item_reopen", request=WorklistItemInput, responses=WorklistMarkSerializer,
        description="Reopen an item marked done by mistake. 422 when it is not marked done.",
    )
    def delete(self, request, public_id):
        case, item = self._item(request, public_id)
        mark = services.item_reopen(case=case, user=request.user, **item)
        return Response(WorklistMarkSerializer(mark).data)


__all__ = ["WorklistApi", "WorklistItemDoneApi"]
