"""`python -m judge.cli ...` runs the command line (the tests and benchmarks use it)."""

from .main import main

main()
