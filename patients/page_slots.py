"""Places on patients' pages that other apps fill, so that patients never depends on them (not in Python, not in
templates): an app registers a template for a named slot in its AppConfig.ready; the page includes each one, in
the order registered, with the page's own context (`case`, `images`, `image`, `visits`, `user` ...)."""

# Slot name -> the templates registered for it. Every slot a page offers is named here.
_SLOTS: dict[str, list[str]] = {
    "case_status": [],  # atop the case page: what the case is waiting for, its headline and warnings
    "case_opinion": [],  # under the case's facts: the opinions on it and what can be done next
    "case_image": [],  # under each image of the case page (`image`)
    "lesion_visits": [],  # the lesion page's visits (`visits`, oldest first)
}


def slot_register(slot: str, template: str) -> None:
    if slot not in _SLOTS:
        raise KeyError(f"patients offers no slot {slot!r}; it offers {sorted(_SLOTS)}")
    if template not in _SLOTS[slot]:
        _SLOTS[slot].append(template)


def page_slots() -> dict[str, tuple[str, ...]]:
    """For a page's context (`slots`): each slot's templates."""
    return {slot: tuple(templates) for slot, templates in _SLOTS.items()}
