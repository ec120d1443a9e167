"""The `leadgate` console script: Django's management commands, with our
settings, so `leadgate demo`, `leadgate serve`, `leadgate migrate` all work."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    # Commands read better with hyphens (`leadgate import-outcomes`); Django's
    # are named after their files (import_outcomes).
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["leadgate", *args])


if __name__ == "__main__":
    main()
