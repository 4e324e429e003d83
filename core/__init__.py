"""The pure domain of the queue: lifecycle, policies, configuration, events, ports.

Nothing in this package performs I/O, sleeps, logs or reads the clock: it decides from
values, and the adapters and the queue runtime carry the decisions out.
"""
