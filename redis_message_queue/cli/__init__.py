"""The ``rmq`` command line: a click group whose commands live in subpackages."""
