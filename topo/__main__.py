"""``python -m topo`` runs the command line."""

from topo.cli import main

main()
