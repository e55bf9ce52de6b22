"""`python -m sim` is the same as the `crowdsim` command."""

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
