"""The spoken call for a display board: Vietnamese speech from espeak-ng, else a chime."""

from __future__ import annotations

import asyncio
import io
import logging
import math
import re
import shutil
import struct
import wave
from collections import OrderedDict
from functools import cache

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
CACHE_SIZE = 256
SPEECH_TIMEOUT_S = 10.0
_cache: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
_speakers = asyncio.Semaphore(2)  # at most two espeak-ng processes at once


def call_text(display: str, room_name: str) -> str:
    """What the board says: "Mời số A 12 vào Phòng khám Nội 1" (leading zeros dropped)."""
    spoken = re.sub(r"[-\s]*0*(\d+)$", r" \1", display.strip()).strip()
    return f"Mời số {spoken} vào {room_name.strip()}" if room_name.strip() else f"Mời số {spoken}"


@cache
def espeak_binary() -> str | None:
    """espeak-ng's path when it is installed (the Debian package ships the `vi` voice)."""
    return shutil.which("espeak-ng")


def chime() -> bytes:
    """A soft two-tone "ding-dong" (E5 then C5) as a 16-bit mono WAV, made on the fly."""
    frames = bytearray()
    for frequency, seconds in ((659.25, 0.45), (523.25, 0.75)):
        count = int(SAMPLE_RATE * seconds)
        for i in range(count):
            envelope = math.exp(-3.0 * i / count)
            sample = 0.45 * envelope * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)
            frames += struct.pack("<h", int(sample * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


async def speak(text: str) -> bytes | None:
    """A WAV of the text in Vietnamese from espeak-ng, or None if it is missing or fails."""
    binary = espeak_binary()
    if binary is None:
        return None
    async with _speakers:
        try:
            process = await asyncio.create_subprocess_exec(
                binary, "-v", "vi", "-s", "135", "--stdout", text,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            audio, _ = await asyncio.wait_for(process.communicate(), SPEECH_TIMEOUT_S)
        except (OSError, TimeoutError):
            log.warning("espeak-ng failed; the board plays the chime instead")
            return None
    return audio if process.returncode == 0 and audio.startswith(b"RIFF") else None


async def call_audio(text: str) -> tuple[bytes, str]:
    """(WAV bytes, "speech" | "chime") for a call, cached by text."""
    if text in _cache:
        _cache.move_to_end(text)
        return _cache[text]
    audio = await speak(text)
    result = (audio, "speech") if audio else (chime(), "chime")
    _cache[text] = result
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return result
