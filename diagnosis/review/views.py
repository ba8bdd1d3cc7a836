from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required
from diagnosis import opinion as ai_opinion
from diagnosis.inference import enqueue
from diagnosis.models.prediction import Flag
from diagnosis.review import attention, case_warnings, claims, queue, selectors
from diagnosis.review import services as review_services
from diagnosis.review.forms import HistologyForm, ReviewForm
from diagnosis.review.stale_review import ReviewStale, review_version
from patients import selectors as patient_selectors
from patients.models import BodySite
from patients.views.forms_support import attach_errors
from patients.views.images import IMAGE_READERS, image_response


@role_required(Role.DERMATOLOGIST)
def review_queue(request):
    filters = queue.QueueFilters.from_query(request.GET)
    page = queue.queue_page(user=request.user, filters=filters, cursor=request.GET.get("after", ""), size=queue.PAGE_SIZE)
    # Each row shows its open warnings (duplicate file, not assessable, AI failed) until someone acts on them.
    open_warnings = case_warnings.warnings_by_case(case.pk for case in page.object_list)
    for case in page.object_list:
        case.open_warnings = open_warnings[case.pk]
    context = {
        "page": page,
        "counts": queue.queue_counts(user=request.user, filters=filters),
        "filters": filters,
        "filter_query": urlencode(filters.query()),
        "flag_choices": [(key, Flag.LABEL[key]) for key in queue.FLAG_FILTERS],
        "risk_choices": list(queue.RISK_BANDS),
        "body_sites": BodySite.choices,
        "tab": "queue",
        "contradicted": attention.decisions_contradicted(user=request.user),
    }
    return render(request, "diagnosis/queue.html", context)


def _reviews_page(request, *, mine: bool):
    reviews = Paginator(queue.reviews_made(user=request.user, mine=mine), queue.PAGE_SIZE)
    context = {"page": reviews.get_page(request.GET.get("page")), "tab": "mine" if mine else "reviewed"}
    return render(request, "diagnosis/reviews_list.html", context)


@role_required(Role.DERMATOLOGIST)
def my_reviews(request):
    return _reviews_page(request, mine=True)


@role_required(Role.DERMATOLOGIST)
def reviewed(request):
    return _reviews_page(request, mine=False)


def _claim_taken_text(claim) -> str:
    return (
        f"Not saved: {claim.holder_name} took this case at {timezone.localtime(claim.claimed_at):%H:%M %Z} and is "
        "reviewing it. Your text is kept below: take the case over to record it, or leave it to them."
    )


def _kept(form: ReviewForm, *, version: int) -> dict:
    """What the user typed, to show again in a fresh form (no rule errors: the case changed under it), with the
    case's review version now, so that recording it again is a decision made on what is there now."""
    kept = {name: form.data.get(name, "") for name in form.fields}
    kept["review_version"] = version
    return kept


@role_required(Role.DERMATOLOGIST)
def case_review(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    if request.method == "POST" and request.POST.get("take_over"):
        # "Take over and record my review", from a form refused because a colleague took the case: audited.
        try:
            claims.claim_take_over(case=case, user=request.user)
        except ValidationError:
            pass  # not waiting for review any more: the version check below says what happened
    # Opening (or sending the form of) a waiting case claims it, or keeps this user's claim alive.
    claim = claims.claim_open(case=case, user=request.user)
    summary = ai_opinion.case_ai_summary(case)
    opinion = review_services.review_opinion(case, summary=summary)
    version = review_version(case)
    read_only = claim is not None and claim.holder_id != request.user.pk
    # A refused decision is answered on the same page, with what was typed kept and nothing stored.
    form = ReviewForm(request.POST or None, opinion=opinion, initial={"review_version": version})
    stale = ""
    if request.method == "POST":
        # A form opened before a colleague took the case or reviewed it is refused before the rules are applied
        # to it: they would be applied to a case its author has not seen.
        posted = request.POST.get("review_version", "")
        if read_only:
            stale = _claim_taken_text(claim)
        elif posted.isdigit() and int(posted) != version:
            stale = " ".join(ReviewStale(case, selectors.review_current(case=case), version).messages)
        elif form.is_valid():
            try:
                review_services.review_submit(case=case, reviewer=request.user, **form.cleaned_data)
            except claims.ClaimHeld as exc:
                stale = _claim_taken_text(exc.claim)
                claim, read_only = exc.claim, True
            except ReviewStale as exc:
                stale = " ".join(exc.messages)
                version = exc.version
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "Review recorded.")
                return redirect("diagnosis:queue")
        if stale:
            form = ReviewForm(initial=_kept(form, version=version), opinion=opinion)
    context = {
        "case": case,
        "patient": case.patient,
        "summary": summary,
        "reviews": case.reviews.select_related("reviewer"),
        "form": form,
        # Why the form was not saved (a colleague took the case or reviewed it meanwhile); the text is kept.
        "stale": stale,
        # The malignant or flagged opinions a benign decision would go against (a reason is then required).
        "malignant_sources": [words for _, words in opinion.malignant_sources()],
        "claim": claim,
        # The lesion's earlier visits (same clinic only), to compare with this one.
        "story": selectors.lesion_story(user=request.user, case=case),
        # Held by a colleague: the page is read-only until this user takes the case over.
        "read_only": read_only,
    }
    status = 409 if stale else 400 if form.errors else 200
    return render(request, "diagnosis/case_review.html", context, status=status)


@require_POST
@role_required(Role.DERMATOLOGIST)
def claim_take_over(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    try:
        claims.claim_take_over(case=case, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "You have taken this case over: you are reviewing it now.")
    return redirect("diagnosis:case_review", public_id=case.public_id)


@require_POST
@role_required(Role.DERMATOLOGIST)
def claim_release(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    try:
        claims.claim_release(case=case, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("diagnosis:case_review", public_id=case.public_id)
    messages.success(request, "Case released: it is back in the queue for your colleagues.")
    return redirect("diagnosis:queue")


@role_required(Role.STAFF, Role.DERMATOLOGIST)
def histology_enter(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    form = HistologyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_services.histology_record(case=case, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Histology recorded.")
            return redirect(case)
    context = {"case": case, "patient": case.patient, "form": form, "histologies": selectors.histologies(case=case)}
    return render(request, "diagnosis/histology_form.html", context, status=400 if form.errors else 200)


@require_GET
@role_required(*IMAGE_READERS)
def heatmap(request, public_id):
    prediction = selectors.prediction_get(user=request.user, public_id=public_id)
    if not prediction.heatmap:
        raise Http404("This model gives no heat-map.")
    return image_response(prediction.heatmap, "image/png", f"{prediction.public_id}-heatmap.png")


@require_POST
@role_required(Role.STAFF, Role.DERMATOLOGIST)
def warning_check(request, public_id):
    """Mark one image warning of the case checked (audited), then back to the page it was shown on."""
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    try:
        case_warnings.warning_check(case=case, image_public_id=request.POST.get("image", ""),
                                    kind=request.POST.get("kind", ""), user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Warning marked checked.")
    back = request.POST.get("next", "")
    if back == "review" and request.user.role == Role.DERMATOLOGIST:
        return redirect("diagnosis:case_review", public_id=case.public_id)
    return redirect(case)


@require_POST
@role_required(Role.STAFF)
def retry_classification(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    try:
        count = enqueue.case_retry_classification(case=case, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{count} image(s) sent to the AI again.")
    return redirect(case)


@require_GET
@role_required(Role.STAFF)
def needs_attention(request):
    since = attention.last_visit(user=request.user)
    context = {
        "failed": list(attention.cases_ai_failed(user=request.user)),
        "delayed": list(attention.cases_ai_delayed(user=request.user)),
        "reviews": list(attention.reviews_since(user=request.user, since=since)),
        "since": since,
    }
    # Looking is not dismissing: the reviews stay until the user marks them seen (attention_mark_seen).
    return render(request, "diagnosis/needs_attention.html", context)


@require_POST
@role_required(Role.STAFF)
def attention_mark_seen(request):
    """"Mark these as seen": the reviews shown, up to the newest one's time, leave the list."""
    up_to = parse_datetime(request.POST.get("up_to", ""))
    if up_to is not None:
        attention.reviews_mark_seen(user=request.user, up_to=up_to)
        messages.success(request, "Marked as seen.")
    return redirect("attention:list")
