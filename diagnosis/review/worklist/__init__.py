"""The staff worklist: what a clinic's staff must act on, one item per (kind, case), until marked done.

Items are derived from the clinical records by diagnosis.review.worklist.selectors; a WorklistMark records that one was
done (who, when) for the fact it showed, so a done item leaves and comes back only when that fact changes.
"""
