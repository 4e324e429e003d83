"""The demo's saboteur: kills consumers in the middle of a message.

Kills are spread over the run: the k-th of n waits until k/(n+1) of the messages
are settled, then strikes the first chance it gets at a consumer that is handling
a message for the first time (a second kill of one message would only hurry it
to the dead-letter list).
"""

from __future__ import annotations

import random

from redis_message_queue.cli.demo.crews import ConsumerPool


class Killer:
    """Kills ``kills`` consumers of ``pool`` over the course of a run.

    Args:
        pool: The consumers to pick from.
        kills: How many to kill.
        rng: Chooses among the busy consumers.
    """

    def __init__(self, pool: ConsumerPool, kills: int, rng: random.Random) -> None:
        self._pool = pool
        self._kills = kills
        self._rng = rng
        self.done = 0

    def consider(self, progress: float) -> None:
        """Kill a busy consumer if the run has reached the next kill's point.

        Args:
            progress: The share of messages settled so far, from 0 to 1.
        """
        if self.done >= self._kills:
            return
        if progress < (self.done + 1) / (self._kills + 1):
            return

        busy = self._pool.busy_slots()
        if busy:
            self._pool.kill(self._rng.choice(busy))
            self.done += 1
