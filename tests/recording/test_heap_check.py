"""``heap_check.looping_heap_at`` on global heap collections built byte by byte: the walk
finds the one object HDF5 would never get past (index 0, free space, of size 0), and only in
a collection HDF5 itself would read (version 1, at least 4 kB, inside the file)."""

from __future__ import annotations

import struct

import pytest

from twin.recording.heap_check import looping_heap_at

pytestmark = pytest.mark.timeout(10, method="thread")  # a walk that never ends fails fast


def _obj(index: int, payload: bytes) -> bytes:
    padded = payload + bytes(-len(payload) % 8)
    return struct.pack("<HHIQ", index, 1, 0, len(payload)) + padded


def gcol(payloads=(b"twin-recording/1", b"demo"), size=4096, version=1, free=None) -> bytes:
    """A collection: its header, an object per payload, then the free space (index 0) whose
    size spans the rest (``free`` overrides it)."""
    body = b"".join(_obj(i + 1, p) for i, p in enumerate(payloads))
    rest = size - 16 - len(body)
    body += struct.pack("<HHIQ", 0, 0, 0, rest if free is None else free)
    head = b"GCOL" + bytes([version, 0, 0, 0]) + struct.pack("<Q", size)
    return head + body + bytes(size - 16 - len(body))


def _file(tmp_path, *parts: bytes, lead: int = 2048) -> str:
    path = tmp_path / "f.h5"
    path.write_bytes(bytes(lead) + b"".join(parts) + bytes(1000))
    return str(path)


def _free_at(payloads=(b"twin-recording/1", b"demo")) -> int:
    """Offset of the free-space object inside a collection (after its objects)."""
    return 16 + sum(16 + len(p) + (-len(p) % 8) for p in payloads)


def test_a_whole_collection_passes(tmp_path):
    assert looping_heap_at(_file(tmp_path, gcol())) is None


def test_a_free_space_object_of_size_zero_is_found(tmp_path):
    assert looping_heap_at(_file(tmp_path, gcol(free=0))) == 2048 + _free_at()


def test_zeros_over_the_first_object_header_are_found(tmp_path):
    data = bytearray(gcol())
    data[16:32] = bytes(16)
    assert looping_heap_at(_file(tmp_path, bytes(data))) == 2048 + 16


def test_a_free_space_object_that_spans_less_than_the_rest_is_walked_on(tmp_path):
    """A free space of 16 bytes is followed by more objects: the walk goes on to them."""
    data = bytearray(gcol(free=32))
    at = _free_at() + 32
    data[at : at + 16] = struct.pack("<HHIQ", 0, 0, 0, 0)
    assert looping_heap_at(_file(tmp_path, bytes(data))) == 2048 + at


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("another version", gcol(free=0, version=2)),
        ("under 4 kB", gcol(free=0, size=4088)),
        ("the signature in data", b"GCOL" + bytes(4092)),
    ],
)
def test_what_is_not_an_hdf5_collection_is_not_walked(tmp_path, what, data):
    assert looping_heap_at(_file(tmp_path, data)) is None


def test_a_collection_said_larger_than_the_file_is_not_walked(tmp_path):
    data = bytearray(gcol(free=0))
    path = tmp_path / "f.h5"
    path.write_bytes(bytes(2048) + bytes(data))  # nothing after it: exactly the file's end
    assert looping_heap_at(path) == 2048 + _free_at()
    data[8:16] = struct.pack("<Q", 4097)  # one byte past the end of the file
    path.write_bytes(bytes(2048) + bytes(data))
    assert looping_heap_at(path) is None


def test_every_collection_is_walked_and_only_the_first_bytes(tmp_path):
    path = _file(tmp_path, gcol(), gcol(payloads=(b"x" * 40,), free=0))
    second = 2048 + 4096
    assert looping_heap_at(path) == second + _free_at((b"x" * 40,))
    assert looping_heap_at(path, head_bytes=second) is None  # it lies past what is read
    # a collection cut by the bytes read is walked as far as they go
    assert looping_heap_at(path, head_bytes=second + _free_at((b"x" * 40,)) + 16) == (
        second + _free_at((b"x" * 40,))
    )
    assert looping_heap_at(path, head_bytes=second + _free_at((b"x" * 40,)) + 15) is None


def test_an_object_header_needs_its_whole_sixteen_bytes(tmp_path):
    """The last bytes of a collection too short for an object header end the walk (HDF5
    takes them as free space)."""
    payload = b"y" * (4096 - 16 - 16 - 8)  # one object, then 8 zero bytes: no header fits
    data = b"GCOL" + bytes([1, 0, 0, 0]) + struct.pack("<Q", 4096) + _obj(1, payload) + bytes(8)
    assert len(data) == 4096
    assert looping_heap_at(_file(tmp_path, data)) is None


def test_the_first_damaged_collection_is_named_however_many_follow(tmp_path):
    good, bad = gcol(), gcol(free=0)
    path = _file(tmp_path, bad, good, bad)
    assert looping_heap_at(path) == 2048 + _free_at()
    path = _file(tmp_path, good, bad, good)  # the middle one of three
    assert looping_heap_at(path) == 2048 + 4096 + _free_at()


def test_a_collection_at_the_files_first_byte_is_walked(tmp_path):
    assert looping_heap_at(_file(tmp_path, gcol(free=0), lead=0)) == _free_at()


def test_a_signature_too_near_the_end_of_what_is_read_is_left(tmp_path):
    path = _file(tmp_path, gcol(free=0))
    assert looping_heap_at(path, head_bytes=2048 + 15) is None  # no whole header read


def test_object_data_is_aligned_to_eight_bytes(tmp_path):
    payloads = (b"z" * 80, b"w" * 13)  # 80 stays 80, 13 takes 16
    assert looping_heap_at(_file(tmp_path, gcol(payloads=payloads, free=0))) == (
        2048 + 16 + (16 + 80) + (16 + 16)
    )


def test_a_free_space_larger_than_any_file_ends_the_walk(tmp_path):
    """A length with its top bit set is a huge unsigned size (HDF5 reads lengths unsigned):
    past the collection, not a step back to where the walk was."""
    # read signed, 2**64 - 24 is -24: back to the header of the object before it ("demo",
    # 16 + 8 bytes), and round again for ever
    assert looping_heap_at(_file(tmp_path, gcol(free=2**64 - 24))) is None
