"""The simulated Stays account, one concern per module (served by `simulators.stays_server`).

`account` holds the account's data and sends its webhooks, `http` reads queries and control
bodies and writes answers as Stays does, `faults` are the failures tests inject, and `sample`
is the demo's account.
"""
