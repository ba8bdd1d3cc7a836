"""One renderer for every view that answers with a file it makes itself (an image, a PDF, a CSV export)."""

from rest_framework.renderers import BaseRenderer


class BinaryRenderer(BaseRenderer):
    """Lets clients ask for the file's type (an <img> tag asks for image/*); the view returns the file itself, and
    errors are rendered as JSON (dermplatform.api.exception_handler). Subclass it through binary_renderer()."""

    media_type = "application/octet-stream"
    format = "binary"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # never reached: the view returns the file itself, and errors are rendered as JSON


def binary_renderer(media_type: str, format: str, charset: str | None = None) -> type[BinaryRenderer]:
    """A BinaryRenderer for one media type (DRF negotiates with renderer classes, one media type each)."""
    name = f"{format.capitalize()}Renderer"
    return type(name, (BinaryRenderer,), {"media_type": media_type, "format": format, "charset": charset})


ImageRenderer = binary_renderer("image/*", "image")
