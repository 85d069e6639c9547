"""One-command demo: simulators plus a real Home Assistant with the integration set up."""
