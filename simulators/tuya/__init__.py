"""Tuya devices on the local (LAN) protocol, one layer per module.

`frames` packs and checks the 55AA/6699 frames, `crypto` holds the AES and HMAC primitives,
`protocol` turns frames into commands for one connection (keys, session-key negotiation,
version headers, cid tags), `server` speaks TCP to one client at a time, `device` is a device's
network face and the Wi-Fi `SimulatedLock`, `gateway` hosts Zigbee sub-devices by cid,
`endpoint` is one lock as tests drive it, and `family`, `zigbee_lock`, `lock_pro` and
`access_control` hold each real lock family's DPs and PIN payloads, as their public sources
describe them (what no source gives is marked ours).
"""
