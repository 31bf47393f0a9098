"""The worker's broker consumer, with two fixes: it outlives the loss of a Redis broker while a task is running,
and a pool process killed before the worker is ready.

Celery 5.7.0 with kombu 5.7.0 (the newest releases): on a lost connection the consumer first ``collect()``s the
connection, which detaches the transport from it, then ``close()``s it. Closing the default channel restores the
messages of running late-ack tasks to the broker, which builds a new Redis pool from the detached transport's
settings: ``AttributeError: 'NoneType' object has no attribute 'hostname'``. ``ignore_errors`` lets only connection
errors pass, so the error ends the worker ("Unrecoverable error"). And when such a task ends after the worker has
reconnected, its late ack goes to the closed channel and fails the same way, ending the worker then. See
docs/decisions/0034.

Nothing can be restored to a broker that is gone anyway: a Redis that kept its data redelivers those messages after
the visibility timeout, an empty one has lost them, and our outbox and notification rows in PostgreSQL are what the
beat sweeps deliver from. So this consumer treats that error as the broken connection it is and finishes the close,
and it marks the running tasks' messages as settled: their delivery tags died with the channel (Celery drops the
reserved ones for the same reason), so there is nothing left to acknowledge.

Pool processes: when the event loop first starts, right after "ready.", Celery's ``asynloop`` asks the pool whether
its processes started (``did_start_ok``), and any that has exited by then counts as a failure to start:
``WorkerLostError('Could not start worker processes')`` ends the worker. But a process killed by a signal in the
meantime (kill -9, the OOM killer) had started; the window is the time from the worker's start to its first broker
connection, which is unbounded while the broker is down. This consumer replaces such processes before that check,
as the pool does at any later time; a process that exited with a status of its own still fails the start.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer
from celery.worker.state import active_requests
from kombu.common import ignore_errors

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_ready(self) -> None:
        super().on_ready()
        if self.restart_count == 0:  # the first start, the only one asynloop checks the pool at
            self._replace_killed_pool_processes()

    def _replace_killed_pool_processes(self) -> None:
        # The prefork pool (billiard's) keeps its processes in ``_pool``; other pools have no such list.
        processes = list(getattr(getattr(self.pool, "_pool", None), "_pool", None) or ())
        exited = [(process, process.exitcode) for process in processes if process.exitcode is not None]
        if not exited or any(code >= 0 for _, code in exited):
            return  # nothing exited, or one failed to start: leave that to Celery's check
        for process, code in exited:
            logger.warning("pool process %s was killed by signal %d before the worker was ready", process.pid, -code)
        self.pool.maintain_pool()  # reaps them and starts replacements

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError:
            if connection is None or self.connection is not None:
                raise  # not the close of the lost connection: a bug of its own
            logger.debug("closing the lost broker connection failed", exc_info=True)
            # The channel is marked closed now: a second close does the rest (other channels, the transport).
            ignore_errors(connection, connection.close)
        running = [request for request in tuple(active_requests) if not request.acknowledged]
        for request in running:
            request.acknowledged = True
        if running:
            logger.warning(
                "consumer: %d running task(s) cannot be acknowledged on the lost broker connection; "
                "a broker that kept its data redelivers them after the visibility timeout",
                len(running),
            )
