"""Giving freed memory back to the system between stages.

The parser's buffers and the hash tables over 1M-row columns are freed when a stage ends, but glibc
keeps those heap pages mapped, so the next stage's peak can stack on top of them (measured in
docs/performance.md). Elsewhere than glibc it does nothing.
"""

import ctypes


def _libc_load():
    try:
        return ctypes.CDLL(None).malloc_trim  # the symbols already loaded in this process
    except (OSError, AttributeError):  # not glibc: nothing to release this way
        return None


_MALLOC_TRIM = _libc_load()


def memory_release() -> None:
    """Hands freed heap pages back to the system (a few milliseconds)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
