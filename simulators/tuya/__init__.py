"""A Tuya smart lock on the local (LAN) protocol, one layer per module.

`frames` packs and checks the 55AA/6699 frames, `crypto` holds the AES and HMAC primitives,
`protocol` turns frames into commands for one connection (keys, session-key negotiation,
version headers), `payloads` reads and writes the PIN data-point bytes, `lock` keeps the
lock's data points and PINs, `server` speaks TCP, and `device` ties them into the
`SimulatedLock` that `simulators.tuya_lock` exposes.
"""
