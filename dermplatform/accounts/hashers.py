"""Password hashing: Argon2id at OWASP's recommended baseline (19 MiB of memory, 2 passes, 1 lane).

About 40 ms a sign-in on one core where Django's PBKDF2 (1,000,000 iterations) takes about 0.35 s: fifty people
signing in at once cost 2 s of CPU instead of 17 s, so a burst of sign-ins no longer stalls every other page
(bench/load_site.py). Memory-hard, so no weaker against guessing on GPUs. PBKDF2 hashes stored before are still
checked, and replaced with this one at the user's next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    # The same algorithm name as Django's: the parameters are stored in each hash, and a hash made with other
    # parameters (Django's default 100 MiB, 8 lanes) is re-made with these at the next sign-in.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
