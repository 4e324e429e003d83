"""The Lua scripts of the Redis adapter, one file per operation (package data)."""
