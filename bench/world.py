"""Who uploads in the benchmarks: a staff member of a clinic of their own, so that runs can repeat on one database
(the factories' sequences start again in each process)."""

import uuid


def bench_staff():
    from tests.factories import ClinicFactory, StaffFactory

    tag = uuid.uuid4().hex[:8]
    return StaffFactory(username=f"bench-{tag}", clinic=ClinicFactory(name=f"Bench clinic {tag}"))
