"""Password hashing: Argon2id at OWASP's recommended baseline (19 MiB of memory, 2 passes, 1 lane).

About 40 ms a sign-in on one core where Django's PBKDF2 (1,000,000 iterations) takes about 0.35 s: fifty people
signing in at once cost 2 s of CPU instead of 17 s (bench/load/site.py). Memory-hard, so no weaker against
guessing on GPUs. PBKDF2 hashes stored before are still checked, and replaced with this one at the user's next
sign-in.

Every hasher here hashes inside a machine-wide slot (hashing_slots): a burst of sign-ins never takes every core.
"""

from django.contrib.auth import hashers

from .hashing_slots import password_hashing_slot


class _InASlot:
    """Hashing (checking a password, making a hash, or the delay for an outdated hash) holds a slot."""

    def verify(self, password, encoded):
        with password_hashing_slot():
            return super().verify(password, encoded)

    def encode(self, password, salt, *args, **kwargs):
        with password_hashing_slot():
            return super().encode(password, salt, *args, **kwargs)

    def harden_runtime(self, password, encoded):
        with password_hashing_slot():
            return super().harden_runtime(password, encoded)


class Argon2idPasswordHasher(_InASlot, hashers.Argon2PasswordHasher):
    # The same algorithm name as Django's: the parameters are stored in each hash, and a hash made with other
    # parameters (Django's default 100 MiB, 8 lanes) is re-made with these at the next sign-in.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


# Only to check hashes stored before (they are replaced with Argon2id at the next sign-in).
class PBKDF2PasswordHasher(_InASlot, hashers.PBKDF2PasswordHasher):
    pass


class PBKDF2SHA1PasswordHasher(_InASlot, hashers.PBKDF2SHA1PasswordHasher):
    pass


class ScryptPasswordHasher(_InASlot, hashers.ScryptPasswordHasher):
    pass
