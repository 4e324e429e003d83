"""Retries and safe repeats against real servers, through a proxy that loses replies."""
