"""``rmq demo``: a crash-test of the queue that ends with a ledger of every message.

Producers publish a workload with deliberate duplicates; consumers work through it
while some of them are killed mid-message and a few poison messages crash whoever
takes them. At the end the server's own lists must account for every message.
"""

from redis_message_queue.cli.demo.command import demo

__all__ = ["demo"]
