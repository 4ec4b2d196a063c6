"""Which text encoding a CSV file is in, and why a file that is in none partnerscore reads is refused.

The data contract's CSV files are UTF-8; a UTF-8 byte-order mark (as Excel writes) is fine. A file that
starts with a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text", PowerShell's default) says its
own encoding unambiguously, so it is read in that encoding. Any other file must be UTF-8: a Latin-1 or
Windows-1252 file is refused, naming its first line that is not UTF-8, rather than guessed at (a guess
would store `MÃ¼ller` for `Müller` without a word).
"""

from __future__ import annotations

import codecs
from pathlib import Path

#: Byte-order marks and the encoding each announces; UTF-32's first, since UTF-16 LE's is its prefix.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SAVE_AS = "save the file as UTF-8 (or UTF-16 with a byte-order mark) and import again"


def csv_encoding(file: Path) -> str:
    """The encoding to read `file` in: the one its byte-order mark announces, else UTF-8."""
    with file.open("rb") as f:
        start = f.read(4)
    return next((name for bom, name in BOMS if start.startswith(bom)), "utf8")


def has_nul(file: Path) -> bool:
    """Whether the file's first 64 KiB hold a NUL byte, which no CSV text in UTF-8 has."""
    with file.open("rb") as f:
        return b"\x00" in f.read(1 << 16)


def not_text(file: Path, encoding: str) -> str | None:
    """Why `file` is not text in `encoding`, naming the first line that is not, or None when it is.

    Only called once reading failed, so reading the file again line by line costs nothing in the
    common case.
    """
    if encoding != "utf8":
        try:
            file.read_text(encoding=encoding)
        except UnicodeDecodeError as exc:
            return f"is not {encoding.upper()} text although it starts with that byte-order mark ({exc.reason})"
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    with file.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if b"\x00" in line:
                return (f"line {number} holds NUL bytes: the file is UTF-16 without a byte-order mark, or not "
                        "text at all")
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                byte = line[exc.start:exc.start + 1].hex()
                return (f"is not UTF-8: line {number} has the byte 0x{byte}, as Latin-1 or Windows-1252 "
                        "text would")
    return None
