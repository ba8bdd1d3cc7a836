"""Passwords an attacker would try early are refused, wherever a password is set (sign-up in the admin, the admin's
"set password", a user's own change): Django runs every AUTH_PASSWORD_VALIDATORS entry in each of those forms.

zxcvbn estimates how many guesses a password takes against what cracking tools try first: its lists of 30,000
passwords from public breaches, common words, names, keyboard patterns, dates, l33t and reversed spellings, plus the
user's own details. Length alone lets `Dermatology1!` through; zxcvbn sees a dictionary word and a suffix.
"""

import re

from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

# zxcvbn's scale: 3 is "safely unguessable: moderate protection from an offline slow-hash scenario" (< 10^10
# guesses), the level its authors recommend for accounts that guard sensitive data.
MIN_SCORE = 3
# zxcvbn's cost grows with length; the tail of a longer passphrase adds guesses and nothing to find.
CHECKED_LENGTH = 100


def _breached_part(sequence) -> str | None:
    for match in sequence:
        if match.get("pattern") == "dictionary" and match.get("dictionary_name") == "passwords":
            return match["token"]
    return None


class GuessablePasswordValidator:
    """Refuses a password zxcvbn scores below MIN_SCORE, naming a breached password it is built on, if any."""

    def __init__(self, min_score: int = MIN_SCORE, platform_words: tuple[str, ...] = ("dermplatform", "derm")):
        self.min_score = min_score
        self.platform_words = list(platform_words)

    def _user_words(self, user) -> list[str]:
        if user is None:
            return []
        words = [getattr(user, name, "") for name in ("username", "first_name", "last_name", "email")]
        clinic = getattr(user, "clinic", None)
        if clinic is not None:
            words.append(clinic.name)
        # Each word on its own too: "Northfield Skin Centre" gives away "SkinCentre2026" as well.
        return [w for phrase in words if phrase for w in [phrase, *re.split(r"[^\w]+", phrase)] if len(w) > 2]

    def validate(self, password: str, user=None) -> None:
        result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=self.platform_words + self._user_words(user))
        if result["score"] >= self.min_score:
            return
        breached = _breached_part(result["sequence"])
        if breached:
            message = (
                "This password is too easy to guess: it is built on “%(part)s”, a password seen in data breaches."
            )
            params = {"part": breached}
        else:
            message = "This password is too easy to guess. %(hint)s"
            warning = result["feedback"].get("warning") or "It follows a common pattern or word."
            params = {"hint": warning.rstrip(".") + "."}
        raise ValidationError(message, code="password_guessable", params=params)

    def get_help_text(self) -> str:
        return (
            "Your password must not be easy to guess: no password seen in data breaches, and not a common word, "
            "name, date or keyboard pattern with a few characters added. Several unrelated words work well."
        )
