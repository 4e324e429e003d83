"""The Redis backend as written: the asyncio source of its generated sync twin."""
