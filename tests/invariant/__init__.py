"""The invariant's harness: one Stays account and three simulated locks, driven from a test."""
