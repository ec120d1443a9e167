"""The `leadgate` console script: Django's management commands, with our
settings, so `leadgate demo`, `leadgate serve`, `leadgate migrate` all work."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["leadgate", *sys.argv[1:]])


if __name__ == "__main__":
    main()
