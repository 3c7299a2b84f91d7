"""The byte scan: its block-wise passes give the same answers whatever the block size."""

import numpy as np
import pytest

from engine import scan
from engine.read import file_read
from sourcelines import breaks

HEADER = "namespace_id,namespace_option_name,namespace_option_standard_name"


@pytest.fixture
def tiny_blocks(monkeypatch):
    # the engine's scan and the line ends it takes from `sourcelines.breaks` alike
    monkeypatch.setattr(scan, "BLOCK", 7)
    monkeypatch.setattr(breaks, "BLOCK", 7)


def test_utf8_check_follows_characters_split_across_blocks(tiny_blocks):
    text = "NS1,Zürich €uro ☃,ok\n" * 5
    assert scan.utf8_valid(text.encode())
    assert scan.utf8_valid(memoryview(("\ufeff" + text).encode())[3:])
    assert not scan.utf8_valid(text.encode("cp1252", errors="replace"))


def test_byte_positions_match_a_plain_search(tiny_blocks):
    arr = np.frombuffer(b'a,"b"\nc,d\r\n"e\nf",g\n', dtype=np.uint8)
    for byte in (10, 13, 34, 44):
        assert breaks.byte_positions(arr, byte).tolist() == np.flatnonzero(arr == byte).tolist()


def test_cells_and_suspects_do_not_depend_on_the_block_size(monkeypatch):
    # given records with padded cells, quotes, extra and missing cells, the file ending on a delimiter
    text = HEADER + '\nN1, a ,b\nN2,"x, y",c,d\n\nN3\nN4,"q ",r\nN5,s\t,\nN6,u,'
    data = text.encode()
    found = []
    for block in (1 << 23, 5, 1):
        monkeypatch.setattr(scan, "BLOCK", block)
        monkeypatch.setattr(breaks, "BLOCK", block)
        state = file_read(name="namespaces", data=data)
        found.append((state.records["cells"].tolist(), state.records["suspect"].tolist()))
    # then every block size cuts the same cells and flags the same records
    assert found[0] == found[1] == found[2]
    cells, suspect = found[0]
    assert cells == [3, 4, 1, 1, 3, 3, 3]
    assert suspect[0]
    assert suspect[4]
    assert suspect[5]
