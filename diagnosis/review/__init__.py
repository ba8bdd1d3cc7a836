"""The dermatologist's side: the queue, claims, triage order, reviews and their rules, histology and discordance,
the staff worklist, their pages and API. It reads the AI opinion (diagnosis.opinion) and asks inference to retry;
it never imports the reports."""
