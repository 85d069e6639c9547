"""Performance benchmarks of SmartLock Tuya, run with `scripts/bench [name ...]`."""
