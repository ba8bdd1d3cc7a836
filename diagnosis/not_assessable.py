"""Why the AI could not assess an image, in plain words, with the guard's numbers apart.

`Prediction.not_assessable_reason` is the guard's reasons joined by "; ", each followed by its numbers in
parentheses: "Too blurred for the AI: retake the image in focus (focus 3.2, needs ≥ 6.5)". Predictions stored
before the guard spoke plainly carry the engineer's wording instead, e.g. "too blurred to judge (focus 3.2, needs
≥ 6.55)"; `reason_in_words` turns either into the sentence a clinician reads and the details line. Plain Python,
no ORM: pages, reports and the worker share it.
"""

DEFAULT_SENTENCE = "The image guard refused it"

# The guard's wording before it spoke plainly (ml/serving/guard.py SIGNALS) -> the sentence shown now.
PLAIN = {
    "too blurred to judge": "Too blurred for the AI: retake the image in focus",
    "too dark": "Too dark for the AI: retake the image with more light",
    "overexposed": "Overexposed: retake the image with less light or glare",
    "unlike the dermoscopic images the model was trained on": (
        "This does not look like a dermoscopic image of a skin lesion"
    ),
    "blank or nearly uniform": "The frame is blank or nearly uniform: retake the image with the lesion in view",
    "without the colour of skin (greyscale or nearly)": (
        "The image has almost no colour: take a colour dermoscopic image of the lesion"
    ),
}


def _split_top_level(text: str, separator: str = ";") -> list[str]:
    """Split on the separator outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _split_details(reason: str) -> tuple[str, str]:
    """"phrase (focus 3.2, needs ≥ 6.5)" -> ("phrase", "focus 3.2, needs ≥ 6.5"): the last parenthesised group,
    when it holds numbers (a group of words, like "(greyscale or nearly)", belongs to the phrase)."""
    if not reason.endswith(")"):
        return reason, ""
    depth = 0
    for i in range(len(reason) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(reason[i], 0)
        if depth == 0:
            inside = reason[i + 1 : -1].strip()
            if any(char.isdigit() for char in inside):
                return reason[:i].strip(), inside
            break
    return reason, ""


def _plain(phrase: str) -> str:
    sentence = PLAIN.get(phrase.strip().rstrip(".").lower(), phrase.strip().rstrip("."))
    return sentence[:1].upper() + sentence[1:]


def reason_in_words(stored: str | None) -> tuple[str, str]:
    """A stored reason string -> (the plain sentence(s), the details: the guard's numbers, "" when none)."""
    sentences, details = [], []
    for reason in _split_top_level(stored or ""):
        phrase, numbers = _split_details(reason)
        sentence = _plain(phrase)
        if sentence and sentence not in sentences:
            sentences.append(sentence)
        if numbers:
            details.append(numbers)
    return (". ".join(sentences) or DEFAULT_SENTENCE), "; ".join(details)


def reason_text(stored: str | None) -> str:
    """One line for reports: "Too dark for the AI: retake the image with more light (details: brightness 12, needs ≥ 30)"."""
    sentence, details = reason_in_words(stored)
    return f"{sentence} (details: {details})" if details else sentence


def reason_store(reasons: list[str] | None, details: list[str] | None = None) -> str:
    """What the worker stores: the guard's reasons joined by "; ", with its numbers in parentheses.

    `details` is the guard's `not_assessable_details` (ml.serving.guard.details: one per failed signal). With one per
    reason they go in the same order, each after its reason; when the guard gave one reason for two signals (focus
    and sharpness both say "too blurred") they cannot be matched one to one, so they all follow the last reason.
    Pages show every detail on one line either way. A reason that already carries its numbers (older guards) is
    kept as it is."""
    reasons = [str(reason).strip() for reason in reasons or [] if str(reason).strip()]
    details = [str(detail).strip() for detail in details or [] if str(detail).strip()]
    if not details or any(_split_details(reason)[1] for reason in reasons):
        return "; ".join(reasons)
    if len(details) == len(reasons):
        return "; ".join(f"{reason} ({detail})" for reason, detail in zip(reasons, details, strict=True))
    if not reasons:
        return ""
    return "; ".join(reasons) + f" ({'; '.join(details)})"
