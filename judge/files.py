"""Opening a file the user named: only regular files, and never more of one than a cap.

Why: a path may name a directory, a device (/dev/zero never ends), a FIFO (opening it for reading
waits for a writer forever) or a huge file. Each must become a one-line `file: message` error before
anything is read, not a traceback, a hang or a full memory. Datasets, rubrics and judge.toml all
open their files here.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from judge.errors import InputError, problem


def open_regular(path: Path, error: type[InputError]) -> io.BufferedReader:
    """Open `path` for binary reading, or raise `error` saying why it is not a readable regular file."""
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind:
            raise error([problem(path, None, None, kind)])
        # O_NONBLOCK: should a FIFO replace the file between the check and the open, the open must
        # not wait for a writer; on a regular file the flag changes nothing.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error([problem(path, None, None, "file not found")]) from None
    except PermissionError:
        raise error([problem(path, None, None, "cannot read the file: permission denied")]) from None
    except NotADirectoryError:  # `file.jsonl/x`: a parent is a file
        raise error([problem(path, None, None, "file not found (a parent folder is a file)")]) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise error([problem(path, None, None, f"cannot read the file: {reason}")]) from None
    kind = _kind(os.fstat(fd).st_mode)  # the file opened is the one checked
    if kind:
        os.close(fd)
        raise error([problem(path, None, None, kind)])
    return os.fdopen(fd, "rb")


def read_capped(path: Path, error: type[InputError], max_bytes: int) -> bytes:
    """The whole of a regular file of at most `max_bytes` bytes (else `error`, before reading it)."""
    with open_regular(path, error) as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(data) > max_bytes:  # the file may grow between stat and read
        shown = max(size, len(data))
        raise error([problem(path, None, None, f"file is {shown} bytes, over the {max_bytes} limit")])
    return data


def _kind(mode: int) -> str | None:
    """Why a file of this mode cannot be read as a file (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"
