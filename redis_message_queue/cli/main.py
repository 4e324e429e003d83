"""The ``rmq`` entry point: a thin click group that gathers the commands."""

from __future__ import annotations

import click

from redis_message_queue.cli.demo import demo


@click.group()
@click.version_option(package_name="redis-message-queue")
def main() -> None:
    """Reliable message queues on Redis-protocol servers."""


main.add_command(demo)
