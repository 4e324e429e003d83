"""Run the command line as ``python -m redis_message_queue``."""

from redis_message_queue.cli.main import main

if __name__ == "__main__":
    main(prog_name="rmq")
