"""The ``rmq demo`` click command: options in, ledger out, exit code 1 on loss."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import click
import redis

from redis_message_queue.cli.demo.display import (
    consoles,
    ledger_table,
    progress_display,
    verdict,
)
from redis_message_queue.cli.demo.ledger import exit_code
from redis_message_queue.cli.demo.options import BACKENDS, DemoOptions
from redis_message_queue.cli.demo.run import run_demo
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.local_server import ServerNotFoundError


@click.command()
@click.option(
    "--url",
    metavar="URL",
    help="Use this server (redis://...) instead of starting an embedded Valkey.",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="redis",
    show_default=True,
    help="'memory' runs everything in this process, workers as threads.",
)
@click.option(
    "-n",
    "--messages",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Publish calls, deliberate duplicates included.",
)
@click.option(
    "--producers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Producer processes (threads with --backend memory).",
)
@click.option(
    "--consumers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Consumer processes kept alive (threads with --backend memory).",
)
@click.option(
    "--kills",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Consumers to kill in the middle of a message.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds to wait for the queue to empty; what is left counts as lost.",
)
@click.option("--seed", type=int, help="Seed for a reproducible workload.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the ledger as one JSON object."
)
def demo(
    url: str | None,
    backend: str,
    messages: int,
    producers: int,
    consumers: int,
    kills: int,
    timeout: float,
    seed: int | None,
    as_json: bool,
) -> None:
    """Crash-test the queue and account for every message.

    Producers publish messages (some twice, on purpose); consumer processes
    work through them while the demo kills some mid-message and poison messages
    crash whoever takes them. Leases bring crashed work back, and the dead-letter
    list takes the poison. At the end the server's lists must hold every
    published message exactly once; if not, the exit code is 1.
    """
    try:
        options = DemoOptions(
            messages=messages,
            producers=producers,
            consumers=consumers,
            backend="memory" if backend == "memory" else "redis",
            url=url,
            kills=kills,
            timeout_seconds=timeout,
            seed=seed,
        )
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from exc

    out, err = consoles()
    try:
        with _terminate_as_interrupt():
            ledger = run_demo(options, progress_display(err))
    except redis.RedisError as exc:
        where = options.url or "the embedded server"
        raise click.ClickException(f"cannot use {where}: {exc}") from exc
    except ServerNotFoundError as exc:
        raise click.ClickException(f"{exc}; or give --url") from exc

    if as_json:
        click.echo(json.dumps(ledger.as_dict()))
    else:
        out.print(ledger_table(ledger))
        out.print(verdict(ledger))
    raise SystemExit(exit_code(ledger))


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    # SIGTERM would end the demo without its cleanup, leaving workers and the
    # embedded server behind; treat it like Ctrl-C instead.
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
