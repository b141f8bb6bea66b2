"""Speed benchmarks of the planner (see README.md); never run by the test suite."""
