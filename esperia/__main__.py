"""`python -m esperia` runs the command line."""

from esperia.cli import main

main()
