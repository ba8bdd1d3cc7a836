from .policy import Can


def policy(request):
    """`can`: the role rules for the signed-in user ({% if can.review %}), so templates repeat no role names."""
    return {"can": Can(getattr(request, "user", None))}
