"""`python -m judge ...` runs the command line."""

from judge.cli.main import main

main()
