"""`python -m sim` is the same as the `crowdsim` command."""

# Imported inside the guard: a sweep's spawned worker processes import this module as
# ``__mp_main__`` (multiprocessing's spawn re-imports the parent's main module) and need
# none of the command line's imports.
if __name__ == "__main__":
    from sim.cli import main

    raise SystemExit(main())
