"""``python -m treatyledger`` runs the ``treaty`` command."""

from treatyledger.cli import main

if __name__ == "__main__":
    main()
