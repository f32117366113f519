"""Conformance vectors: the example frames of Studer's specification, as corrected in the notes.

Each entry is (name, hex bytes). They are shared by the codec tests and the simulator tests.
"""

from __future__ import annotations

SPEC_FRAMES: dict[str, str] = {
    "5.3 read info 3000 request": "AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 01 00 B8 0B 00 00 01 00 C5 90",
    "5.3 read info 3000 response": (
        "AA 34 65 00 00 00 01 00 00 00 0E 00 A7 45 02 01 01 00 B8 0B 00 00 01 00 00 C0 45 41 0D CB"
    ),
    "5.4 read param 1138 request": "AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 02 00 72 04 00 00 05 00 7D D9",
    "5.4 read param 1138 response": (
        "AA 34 65 00 00 00 01 00 00 00 0E 00 A7 45 02 01 02 00 72 04 00 00 05 00 00 00 70 42 31 0B"
    ),
    "5.5 write param 1138 request": (
        "AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 72 04 00 00 05 00 00 00 40 41 FF 9B"
    ),
    "5.5 write param 1138 response": (
        "AA 34 65 00 00 00 01 00 00 00 0A 00 A3 3D 02 02 02 00 72 04 00 00 05 00 80 F6"
    ),
    "5.6 read message request": "AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 03 00 00 00 00 00 00 00 03 17",
    "5.6 read message response": (
        "AA 34 F5 01 00 00 01 00 00 00 1C 00 46 0A 02 01 03 00 00 00 00 00 00 00 D0 03 00 00 10 00"
        " 69 00 00 00 82 AD 9E 59 00 00 00 00 77 60"
    ),
    "6.1.5 read GUID request": "AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 04 00 00 00 00 00 00 00 04 1F",
    "6.1.5 read GUID response": (
        "AA 23 F5 01 00 00 01 00 00 00 1A 00 33 4B 02 01 04 00 00 00 00 00 00 00 3A D0 1B 0B 58 C9"
        " 32 BA EC 4D 35 28 61 3D 7D 40 34 A3"
    ),
}


def frame_bytes(name: str) -> bytes:
    """The bytes of one spec frame."""
    return bytes.fromhex(SPEC_FRAMES[name])
