"""`python -m partnerscore …` runs the command line (the same as the `partnerscore` script)."""

from partnerscore.cli.app import main

main()
