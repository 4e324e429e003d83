"""Which messages the demo publishes, and in what order.

Every message carries a unique id in its payload, so the ledger can find it in the
server's lists at the end. Some publish calls repeat an earlier message on purpose,
for deduplication to suppress. A few messages are poison: they crash every consumer
that takes them until the dead-letter list takes them instead.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Sequence

import attrs

from redis_message_queue.core.envelope import MessageData

DUPLICATE_SHARE = 0.05
FAILING_SHARE = 0.01
SLOW_SHARE = 0.005
SLOW_PER_KILL = 4
MAX_POISON = 5
MESSAGES_PER_POISON = 2_000
# Poison takes several lease periods to reach the dead-letter list; publishing it
# early lets that wait overlap the bulk of the work.
POISON_WINDOW = 0.05


class MessageKind(enum.StrEnum):
    """What a consumer does with a message."""

    QUICK = "quick"
    """Acknowledged at once."""

    SLOW = "slow"
    """Handled for a moment: the window in which the demo kills consumers."""

    FAILING = "failing"
    """Its handler raises an ordinary exception; it ends in the failed list."""

    POISON = "poison"
    """Crashes every consumer that takes it; it ends in the dead-letter list."""


@attrs.frozen
class DemoMessage:
    """One distinct message of the workload.

    Attributes:
        message_id: Unique within the run; the ledger tracks messages by it.
        kind: How consumers treat it.
    """

    message_id: str
    kind: MessageKind

    def payload(self) -> dict[str, str]:
        """The dict to publish; equal messages give equal payloads (and dedup)."""
        return {"id": self.message_id, "kind": self.kind.value}


def parse_payload(data: MessageData) -> DemoMessage | None:
    """Read a payload back, as the queue or the server's lists return it.

    Returns:
        The message, or ``None`` for anything the demo did not publish.
    """
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None

    message_id, kind = body.get("id"), body.get("kind")
    if not isinstance(message_id, str) or kind not in set(MessageKind):
        return None
    return DemoMessage(message_id=message_id, kind=MessageKind(kind))


@attrs.frozen
class WorkloadShape:
    """How many messages of each sort a workload holds.

    Attributes:
        publish_calls: Publish calls in total.
        duplicates: Calls that repeat an earlier message.
        poison: Distinct poison messages.
        failing: Distinct failing messages.
        slow: Distinct slow messages.
    """

    publish_calls: int
    duplicates: int
    poison: int
    failing: int
    slow: int

    @property
    def distinct(self) -> int:
        """Distinct messages: what the queue should enqueue."""
        return self.publish_calls - self.duplicates

    @classmethod
    def for_run(cls, publish_calls: int, *, kills: int) -> WorkloadShape:
        """The shape the demo uses for ``publish_calls`` calls and ``kills`` kills.

        Small runs keep at least one message of each sort where they have room,
        and enough slow messages to give the killer a chance.
        """
        duplicates = int(publish_calls * DUPLICATE_SHARE)
        distinct = publish_calls - duplicates
        poison = min(MAX_POISON, max(1, distinct // MESSAGES_PER_POISON))
        poison = min(poison, distinct // 10)
        failing = min(max(1, int(distinct * FAILING_SHARE)), distinct - poison)

        room = distinct - poison - failing
        slow = min(room, max(kills * SLOW_PER_KILL, int(distinct * SLOW_SHARE)))
        return cls(publish_calls, duplicates, poison, failing, slow)


@attrs.frozen
class Workload:
    """The messages of one run.

    Attributes:
        messages: The distinct messages, in id order.
        publications: Every publish call in order, duplicates included.
    """

    messages: tuple[DemoMessage, ...]
    publications: tuple[DemoMessage, ...]

    def count(self, kind: MessageKind) -> int:
        """How many distinct messages are of ``kind``."""
        return sum(1 for message in self.messages if message.kind is kind)

    def share(self, producer: int, producers: int) -> tuple[DemoMessage, ...]:
        """The publish calls of one producer: every ``producers``-th one.

        Interleaving spreads each kind evenly and sends many duplicates through
        a different producer than their original.
        """
        return self.publications[producer::producers]


def build_workload(shape: WorkloadShape, seed: int | None = None) -> Workload:
    """Lay out a workload of ``shape``, reproducibly for a given ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - a test workload, not a secret
    kinds = _assign_kinds(shape, rng)
    width = len(str(shape.distinct))
    messages = tuple(
        DemoMessage(message_id=f"m{index:0{width}d}", kind=kind)
        for index, kind in enumerate(kinds)
    )
    return Workload(messages, _with_duplicates(messages, shape.duplicates, rng))


def _assign_kinds(shape: WorkloadShape, rng: random.Random) -> list[MessageKind]:
    kinds = [MessageKind.QUICK] * shape.distinct
    window = max(shape.poison, int(shape.distinct * POISON_WINDOW))
    poison = set(rng.sample(range(window), shape.poison))
    for index in poison:
        kinds[index] = MessageKind.POISON

    rest = [index for index in range(shape.distinct) if index not in poison]
    chosen = rng.sample(rest, shape.failing + shape.slow)
    for index in chosen[: shape.failing]:
        kinds[index] = MessageKind.FAILING
    for index in chosen[shape.failing :]:
        kinds[index] = MessageKind.SLOW
    return kinds


def _with_duplicates(
    messages: Sequence[DemoMessage], duplicates: int, rng: random.Random
) -> tuple[DemoMessage, ...]:
    if not messages:
        return ()

    # Sort keys place each repeat somewhere after its original.
    keyed = [(float(index), message) for index, message in enumerate(messages)]
    for _ in range(duplicates):
        original = rng.randrange(len(messages))
        position = rng.uniform(original, len(messages))
        keyed.append((position, messages[original]))
    keyed.sort(key=lambda pair: pair[0])
    return tuple(message for _, message in keyed)
