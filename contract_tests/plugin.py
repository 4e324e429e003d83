"""Pytest plugin of the contract suite, loaded through the ``pytest11`` entry point.

Loading it imports the suite's package, which registers the suite's modules for
assertion rewriting before they are imported, so a failing contract test shows the
full comparison even from an installed package. It adds no fixtures and collects
nothing: subclassing :class:`BackendContract` in a test module is what runs the suite.
"""

import redis_message_queue.contract_tests  # noqa: F401 - imported for its effect
