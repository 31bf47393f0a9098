"""Chaos under load (issue 16, decision 0036): real workers, relays, PostgreSQL and Redis killed or hung while a load
commits events and queues Telegram messages; afterwards every event reached each handler exactly once, every
message went out exactly once, the backlog drained within RECOVERY_BOUND_SECONDS, and the API answered 503 (never
500, never silence) while a dependency was down. The figures go to var/chaos-report.jsonl and the test summary."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.chaos.harness import API_ANSWER_SECONDS, ApiProbe, check_api_during, kill_tree

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

broker_param = pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)


@broker_param
def test_plain_delivery_under_load_is_exactly_once(stack):
    # given a worker, beat and a load
    worker, beat, load = stack.start()
    # when it runs a few seconds without a fault
    time.sleep(4)
    stopped = time.time()
    assert load.stop()
    # then everything drains, each event once per handler and each message once
    stack.wait_for_recovery(stopped, before=(0, 0), alive=[worker, beat])
    stack.check_exactly_once(load)


def _mid_batch(stack, worker, seconds: float = 20.0) -> list[int]:
    """Wait until a pool process of ``worker`` is inside a relay batch (effects written, not committed); return those
    processes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = stack.relay_pids_mid_batch(worker)
        if pids:
            return pids
        time.sleep(0.01)
    raise AssertionError(f"no relay batch was caught in flight within {seconds:.0f} s")


# Before decision 0035 the killed worker's leases (60 s) and loop slots (25 s) held its claimed rows and the bot's
# sending, so the backlog drained only after a minute, past RECOVERY_BOUND_SECONDS; heartbeats free them in seconds.
@broker_param
def test_worker_killed_mid_flight_and_replaced_loses_and_repeats_nothing(stack):
    # given a worker relaying and sending under load, with a Telegram call in flight (held 5 s by the Bot API)
    worker, beat, load = stack.start()
    time.sleep(1.5)
    stack.hold_next_message(5.0)
    # when the whole worker (main process and prefork pool) is killed with SIGKILL while a relay batch is open too
    _mid_batch(stack, worker, seconds=4.0)
    before = stack.progress()
    kill_tree(worker)
    # and a new worker is started in its place
    replacement = stack.worker(wait=False)
    cleared = time.time()
    time.sleep(3)
    assert load.stop()
    # then the backlog drains within the bound, each event once per handler, no message twice; only the message whose
    # call the kill cut short may end outcome_unknown (decision 0011: nobody knows whether it went out)
    stack.wait_for_recovery(cleared, before=before, alive=[replacement, beat])
    stack.check_exactly_once(load, unknown_allowed=1)


def test_relay_killed_mid_batch_is_rolled_back_and_run_again_once(stack):
    # given a worker relaying under load
    worker, beat, load = stack.start()
    time.sleep(1.5)
    # when the pool process running a relay batch is killed with SIGKILL before the batch commits
    victims = _mid_batch(stack, worker)
    before = stack.progress()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    cleared = time.time()
    stack.figures["relays_killed"] = len(victims)
    time.sleep(3)
    assert load.stop()
    # then the worker replaces its pool process, the batch runs again, and nothing is lost or run twice
    stack.wait_for_recovery(cleared, before=before, alive=[worker, beat])
    stack.check_exactly_once(load)


# Short leases, so that a message whose call a crash happens to cut short (proven separately below) is settled
# within the bound: 12 s is a valid setting (more than twice the 5 s HTTP timeout).
SHORT_LEASES = {"NOTIFICATIONS_HTTP_TIMEOUT_SECONDS": "5", "NOTIFICATIONS_LEASE_SECONDS": "12"}


def test_postgres_crash_answers_503_then_recovers_exactly_once(stack):
    # given a worker, beat, gunicorn and a load, and the API being called
    stack.env.update(SHORT_LEASES)
    worker, beat, load = stack.start(api=True)
    probe = ApiProbe(stack.api_url).start()
    try:
        time.sleep(1.5)
        # when PostgreSQL crashes (SIGKILL to the postmaster and every backend) in a relay batch, down for 5 s
        _mid_batch(stack, worker)
        before = stack.progress()
        stack.pg.crash()
        down = time.time()
        time.sleep(5)
        up = time.time()
        stack.pg.start()
        cleared = time.time()
        time.sleep(2)
    finally:
        probe.stop()
    assert load.stop()
    # then while it was down the API answered 503, never 500, and /readyz said not ready
    stack.figures["api_while_down"] = check_api_during(probe, down + 0.5, up)
    readyz = [a.status for a in probe.answers if a.path == "/readyz" and down + 0.5 <= a.at <= up - 1]
    assert readyz and set(readyz) == {503}, readyz
    # and after the restart the backlog drains, each event once per handler, no message twice (a call the crash
    # happened to cut short may end outcome_unknown: the next test covers that case)
    stack.wait_for_recovery(cleared, before=before, alive=[worker, beat])
    stack.check_exactly_once(load, unknown_allowed=2)


# Before decision 0035 the Bot API took the message, but recording it failed with PostgreSQL down, so when the lease
# ran out the row was failed as outcome_unknown though it was sent; the worker now retries recording the outcome.
def test_postgres_crash_during_a_telegram_call_records_the_message_as_sent(stack):
    # given a worker, beat and a load, and a Telegram call held 2 s by the Bot API
    stack.env.update(SHORT_LEASES)
    worker, beat, load = stack.start()
    time.sleep(1.5)
    stack.hold_next_message(2.0)
    # when PostgreSQL crashes during that call (which then succeeds) and comes back 3 s later
    before = stack.progress()
    stack.pg.crash()
    time.sleep(3)
    stack.pg.start()
    cleared = time.time()
    time.sleep(2)
    assert load.stop()
    # then the message is recorded as sent, once, and everything else is delivered exactly once
    stack.wait_for_recovery(cleared, before=before, alive=[worker, beat])
    stack.check_exactly_once(load)


# Before decision 0034 the worker exited when its Redis broker connection dropped while a late-acknowledged task
# (the relay batch) ran ("celery -A ukbot worker exited (1)"), and nothing started it again.
def test_redis_killed_and_restarted_recovers_exactly_once(stack):
    # given a worker, beat, gunicorn and a load on Redis as broker and cache, and the API being called
    worker, beat, load = stack.start(api=True)
    probe = ApiProbe(stack.api_url).start()
    try:
        time.sleep(1.5)
        # when Redis is killed with SIGKILL (losing every queued task and key) while a relay task runs, and is
        # restarted empty 3 s later
        _mid_batch(stack, worker)
        before = stack.progress()
        stack.redis.kill()
        down = time.time()
        time.sleep(3)
        up = time.time()
        stack.redis.start()
        cleared = time.time()
        time.sleep(3)
    finally:
        probe.stop()
    assert load.stop()
    # then the API answered 503 (not 500) while Redis was down
    stack.figures["api_while_down"] = check_api_during(probe, down + 0.5, up)
    # and the same worker and beat carry on: the backlog drains, each event once per handler, each message once
    stack.wait_for_recovery(cleared, before=before, alive=[worker, beat])
    stack.check_exactly_once(load)


# Before decision 0033, with Redis stopped (SIGSTOP), calls that touch it waited without a timeout, so /readyz did not
# answer and every commit that kicked the relay waited until Redis resumed.
def test_redis_hung_then_resumed_answers_503_and_recovers_exactly_once(stack):
    # given a worker, beat, gunicorn and a load, and the API being called
    worker, beat, load = stack.start(api=True)
    probe = ApiProbe(stack.api_url).start()
    try:
        time.sleep(1.5)
        # when Redis stops answering (SIGSTOP: connections stay open, nothing comes back) for 10 s
        before = stack.progress()
        stack.redis.hang()
        down = time.time()
        time.sleep(10)
        up = time.time()
        stack.redis.resume()
        cleared = time.time()
        time.sleep(3)
    finally:
        stack.redis.resume()
        probe.stop()
    assert load.stop()
    # then every call under way while Redis hung was answered within API_ANSWER_SECONDS: 503 where it needs
    # Redis, never 500, never a hang
    stack.figures["api_while_down"] = check_api_during(probe, down + 0.5, up)
    # and the load kept committing (a commit's kick of the relay and of delivery gives up on Redis, the sweep
    # delivers later), rather than every publisher waiting for Redis
    hung = (down + API_ANSWER_SECONDS, up)
    committed = [line for line in load.lines() if "event" in line and hung[0] <= line["at"] <= hung[1]]
    stack.figures["committed_while_hung"] = len(committed)
    assert committed, "nothing was committed while Redis hung"
    # and once Redis answers again the backlog drains, each event once per handler, each message once
    stack.wait_for_recovery(cleared, before=before, alive=[worker, beat])
    stack.check_exactly_once(load)
