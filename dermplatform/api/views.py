"""The base of every clinical API view: token or session authentication, the clinical permission, and helpers for
lists and query parameters. Errors are answered by dermplatform.api.exception_handler."""

from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .permissions import ClinicalApiPermission
from .renderers import ImageRenderer


def validated_query(request, serializer_class) -> dict:
    """The query parameters, checked by `serializer_class`: a malformed one is a 400, and an empty one too. DRF reads
    a QueryDict like an HTML form, where an empty optional field means "not given", so `?model_version=` would
    silently filter nothing; a plain dict makes an empty value a value."""
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


class ClinicalApiMixin:
    # Token first, so that an anonymous request is answered 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [ClinicalApiPermission]


class ClinicalApi(ClinicalApiMixin, APIView):
    pass


class ClinicalListApi(ClinicalApiMixin, GenericAPIView):
    """List endpoints: django-filter FilterSet on a visible_to() queryset, paginated.

    serializer_class is the list's output; a view's nested InputSerializer describes its POST. The browsable API
    and OPTIONS ask get_serializer() for both (without them they answer 500).
    """

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST" and hasattr(self, "InputSerializer"):
            return self.InputSerializer
        return super().get_serializer_class()

    def list_response(self, queryset, serializer_class):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return self.get_paginated_response(data)


# No docstring: drf-spectacular would describe every image endpoint with it.
class ImageBytesApi(ClinicalApi):
    # Answers with stored image bytes; errors (401, 403, 404) are JSON even when the client asked for image/*.
    renderer_classes = [JSONRenderer, ImageRenderer]
