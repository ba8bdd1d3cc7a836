"""Reports on cases for people and systems outside the platform: the PDF for the referring doctor, the FHIR
bundle for the hospital record, the clinic's CSV export for audit. Each reads one CaseReport (content.py)."""
