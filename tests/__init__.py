"""Tests of the SmartLock Tuya integration."""
