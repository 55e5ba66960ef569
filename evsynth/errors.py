"""Typed errors. Every message names the input and says what the reviewer can do about it."""

from __future__ import annotations

from pathlib import Path


class EvsynthError(Exception):
    """Base class of every error evsynth raises on purpose (a user mistake or bad input)."""


class ReadError(EvsynthError):
    """A file could not be read into a :class:`~evsynth.reading.document.Document`.

    Parameters
    ----------
    path : path of the file
    reason : one sentence a reviewer can act on
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class MissingFileError(ReadError):
    """The path does not exist."""


class EmptyFileError(ReadError):
    """The file has no bytes, or only white space."""


class UnsupportedFormatError(ReadError):
    """The extension is not one evsynth reads (.txt, .md, .pdf)."""


class DecodeError(ReadError):
    """The bytes are not text in UTF-8 nor in the declared fallback encoding."""


class CorruptPDFError(ReadError):
    """The PDF is damaged or truncated."""


class EncryptedPDFError(ReadError):
    """The PDF is encrypted and cannot be opened without a password."""


class NoTextLayerError(ReadError):
    """The PDF has pages but no text layer (a scan): it needs OCR first."""


class ReadTimeoutError(ReadError):
    """Reading the file took longer than the time limit."""


class ExtractionError(EvsynthError):
    """The extractors could not run on a document."""


class CurationError(EvsynthError):
    """The curation file is malformed or refers to rows that do not exist."""


class VerificationError(EvsynthError):
    """A number in the evidence table is not in its quoted source span."""


class EffectSizeError(EvsynthError, ValueError):
    """Inputs to an effect-size computation are impossible (e.g. lower > upper, ratio <= 0)."""


class PoolingError(EvsynthError, ValueError):
    """Inputs to a meta-analysis are impossible or insufficient."""
