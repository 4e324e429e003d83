# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
