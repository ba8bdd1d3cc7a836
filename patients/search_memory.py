"""Patient searches kept in the user's session under an opaque id, so that names and record numbers typed into
the search box never reach an address (server and proxy logs, browser history, Referer headers).

The search form posts its terms; the page answers with a redirect to `?search=<id>`, which paging and reloading
reuse. Only the last few searches of a session are kept; an unknown id is simply no search.
"""

import secrets

SESSION_KEY = "patient_searches"
KEEP = 10


def search_remember(session, *, terms: str) -> str:
    searches = session.get(SESSION_KEY, {})
    search_id = secrets.token_urlsafe(9)
    searches[search_id] = terms
    session[SESSION_KEY] = dict(list(searches.items())[-KEEP:])
    return search_id


def search_recall(session, search_id: str | None) -> str:
    """The terms searched under this id in this session; none for a missing or unknown id."""
    return session.get(SESSION_KEY, {}).get(search_id or "", "")
