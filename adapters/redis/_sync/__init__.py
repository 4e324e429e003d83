# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""The Redis backend as written: the asyncio source of its generated sync twin."""
