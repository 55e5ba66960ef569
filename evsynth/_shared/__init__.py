"""Private helpers shared by every stage: display mixins, atomic file writes, numbers in words,
and running a function per file in an isolated process. Nothing here is public API; any stage may
import it, and it imports no stage."""
