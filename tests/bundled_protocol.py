"""The bundled protocol, for tests of rules written on the bundled papers' vocabulary."""

from evsynth.protocol import load_protocol

#: the protocol of the bundled papers (evsynth/data/protocols/<name>.yaml)
BUNDLED = load_protocol("car-t-crs")
