"""One scheduler is active at a time: the holder of the database lease
queues the periodic jobs; another takes over once it lapses or is given up."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leadgate.leads.models import PeriodicJob, SchedulerLease
from leadgate.leads.periodic import LEASE_SECONDS, hold_lease, lease_holder, release_lease

pytestmark = pytest.mark.django_db


def test_it_gives_the_lease_to_the_first_scheduler_and_keeps_it_while_renewed(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    assert hold_lease("a")
    assert not hold_lease("b")
    time_machine.shift(LEASE_SECONDS - 1)
    assert hold_lease("a")  # renewed
    time_machine.shift(LEASE_SECONDS - 1)
    assert not hold_lease("b")
    assert lease_holder().holder == "a"


def test_it_hands_the_lease_over_once_it_lapses(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    hold_lease("a")
    time_machine.shift(LEASE_SECONDS + 1)  # "a" stopped renewing
    assert hold_lease("b")
    assert not hold_lease("a")  # back, it stands by
    assert SchedulerLease.objects.get().holder == "b"


def test_it_hands_the_lease_over_at_once_when_given_up():
    hold_lease("a")
    release_lease("a")
    assert lease_holder() is None
    assert hold_lease("b")


def test_it_lets_no_one_but_the_holder_give_it_up():
    hold_lease("a")
    release_lease("b")
    assert lease_holder().holder == "a"


def test_it_queues_nothing_while_another_scheduler_holds_the_lease(time_machine):
    from django.core.management import call_command

    time_machine.move_to(timezone.now(), tick=False)
    hold_lease("another host")
    call_command("scheduler", "--once")
    assert not DBTaskResult.objects.exists()
    assert not PeriodicJob.objects.exists()
    time_machine.shift(timedelta(seconds=LEASE_SECONDS + 1))
    call_command("scheduler", "--once")
    assert DBTaskResult.objects.exists()  # it took over and queued the due jobs


@pytest.mark.django_db(transaction=True)
def test_it_gives_the_lease_to_one_of_many_asking_at_once():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: no two ask at once")
    holders, start = [], threading.Barrier(8)

    def ask(name):
        start.wait()
        try:
            if hold_lease(name):
                holders.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(f"s{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(holders) == 1
    assert SchedulerLease.objects.get().holder == holders[0]
    assert SchedulerLease.objects.get().expires_at > timezone.now()
