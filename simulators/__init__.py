"""Simulators of the services SmartLock Tuya talks to, for tests, the demo and benchmarks."""
