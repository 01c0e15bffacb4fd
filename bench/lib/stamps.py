"""What a prepared model's files depend on, for prepare.py (which writes
them) and bench.py (which reuses them while the stamp holds)."""
import hashlib
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spec_stamp(spec, seed, opset):
    """The spec's text (tools/nnref/zoo.py's and the name for zoo:NAME), the
    seed and the opset, hashed."""
    zoo = spec.startswith("zoo:")
    path = os.path.join(ROOT, "tools", "nnref", "zoo.py") if zoo else spec
    with open(path, "rb") as f:
        text = f.read() + (spec.encode() if zoo else b"")
    return hashlib.sha256(text + f"|seed={seed}|opset={opset}".encode()).hexdigest()
