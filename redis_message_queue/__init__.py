"""Reliable message queues on Redis-protocol servers."""
