"""The Lua scripts of the adapter, read once and registered with a client.

A registered script runs with EVALSHA and loads itself again when the server answers
NOSCRIPT (after a restart or a ``SCRIPT FLUSH``), also inside pipelines. The same
code serves sync and asyncio clients of redis-py and valkey-py: it only calls
``register_script`` and keeps whatever script object the client returns.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from typing import Generic, Protocol, TypeVar

import attrs

logger = logging.getLogger(__name__)

_SCRIPTS_PACKAGE = "redis_message_queue.adapters.redis.scripts"

ScriptT = TypeVar("ScriptT")
ScriptT_co = TypeVar("ScriptT_co", covariant=True)


class ScriptRegistrar(Protocol[ScriptT_co]):
    """A client that turns Lua source into a callable script object."""

    def register_script(self, script: str) -> ScriptT_co:
        """Return a script object that runs ``script`` with EVALSHA."""
        ...


@functools.cache
def script_source(name: str) -> str:
    """The Lua source of the script ``name`` (for example ``"claim"``).

    Raises:
        FileNotFoundError: No script of that name ships with the adapter.
    """
    source = resources.files(_SCRIPTS_PACKAGE).joinpath(f"{name}.lua")
    return source.read_text(encoding="utf-8")


@attrs.frozen
class ScriptLibrary(Generic[ScriptT]):
    """One registered script per backend operation.

    Attributes:
        publish: Cap, dedup markers and push (``publish.lua``).
        claim: Reclaim expired leases, then claim (``claim.lua``).
        settle: Acknowledge or fail a delivery (``settle.lua``).
        renew: Extend a lease (``renew.lua``).
        release: Give claims back unclaimed (``release.lua``).
        purge: Empty one list of a queue (``purge.lua``).
        redrive: Dead letters back to pending (``redrive.lua``).
        forget_markers: Delete dedup markers of given messages
            (``forget_markers.lua``).
        depths: Count each part of a queue; used on clusters, whose pipelines
            cannot always wrap the counts in MULTI/EXEC (``depths.lua``).
    """

    publish: ScriptT
    claim: ScriptT
    settle: ScriptT
    renew: ScriptT
    release: ScriptT
    purge: ScriptT
    redrive: ScriptT
    forget_markers: ScriptT
    depths: ScriptT


def register_scripts(client: ScriptRegistrar[ScriptT]) -> ScriptLibrary[ScriptT]:
    """Register every script of the adapter with ``client``.

    Registering sends nothing to the server; each script is loaded on its first
    call.

    Args:
        client: A redis-py or valkey-py client, sync or asyncio.

    Returns:
        The scripts, as the client's own script objects.
    """
    logger.debug("registering the Lua scripts with %s", type(client).__name__)
    return ScriptLibrary(
        publish=client.register_script(script_source("publish")),
        claim=client.register_script(script_source("claim")),
        settle=client.register_script(script_source("settle")),
        renew=client.register_script(script_source("renew")),
        release=client.register_script(script_source("release")),
        purge=client.register_script(script_source("purge")),
        redrive=client.register_script(script_source("redrive")),
        forget_markers=client.register_script(script_source("forget_markers")),
        depths=client.register_script(script_source("depths")),
    )
