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


class ProtocolError(EvsynthError, ValueError):
    """A review protocol file is malformed: one line naming the file, the key and what is wrong.

    Parameters
    ----------
    path : the protocol file ("" when the protocol was built in code)
    key : dotted path of the offending key, e.g. "outcomes.falls.kind" ("" for the whole file)
    problem : what is wrong and what to write instead
    line : 1-based line of the key in the file, when known
    """

    def __init__(self, path: str | Path, key: str, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        self.line = line
        where = self.path or "protocol"
        if line:
            where += f", line {line}"
        if key:
            where += f", {key}"
        super().__init__(f"{where}: {problem}")


class ManuscriptError(EvsynthError, ValueError):
    """The manuscript outputs (risk of bias, GRADE, PRISMA) cannot be made from the protocol and
    the run as given: the message names the protocol key and says what to change."""
