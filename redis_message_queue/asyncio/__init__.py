"""The asyncio flavour of the queue."""
