"""``python -m simorg``: the command line (see :mod:`simorg.cli`)."""

from simorg.cli import main

if __name__ == "__main__":
    main()
