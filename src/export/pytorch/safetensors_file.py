"""Reading and writing safetensors files, from the format's specification, in plain Python.

Debian's PyTorch has no `safetensors` module, and the format is small enough to write out:

    8 bytes      N, the header's length (unsigned 64-bit little-endian)
    N bytes      a JSON object: for each tensor {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
                 and "__metadata__": a string-to-string map (bptt keeps its "bptt" JSON there)
    the rest     the tensors' bytes, little-endian, row-major, at their offsets (counted from here)

The header is padded with spaces to a multiple of 8 bytes so that the data is aligned.
"""
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def load_file(path):
    """Returns ({name: tensor}, {metadata key: string value})."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8]) if len(data) >= 8 else (len(data),)
    try:
        if 8 + length > len(data):
            raise ValueError
        header = json.loads(data[8 : 8 + length])
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path} is not a safetensors file") from None
    metadata = header.pop("__metadata__", {})
    start = 8 + length
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}; this reader knows {', '.join(DTYPES)}")
        begin, end = info["data_offsets"]
        raw = bytearray(data[start + begin : start + end])  # a writable copy: torch.frombuffer shares the memory it is given
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"]) if raw else torch.zeros(info["shape"], dtype=DTYPES[info["dtype"]])
    return tensors, metadata


def save_bytes(tensors, metadata):
    """The bytes of a safetensors file holding `tensors` (float32 or float64, any device) and `metadata`."""
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().to("cpu").contiguous()
        raw = tensor.numpy().tobytes()  # little-endian on every machine PyTorch runs on
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
