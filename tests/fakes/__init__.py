"""Fakes of outside services, served over real sockets, for tests and benchmarks."""
