"""The line index and the bounded reads of the source-line view (sourcelines/lines.py)."""

import numpy as np

from sourcelines.lines import (
    CENSUS_BLOCK,
    LINE_INDEX_BLOCK,
    READ_BLOCK,
    LineIndex,
    RangeReader,
    line_census,
    line_index_build,
    lines_read,
)


class CountingReads:
    def __init__(self, data: bytes):
        self.data, self.read = data, 0

    def __call__(self, start: int, end: int) -> bytes:
        self.read += end - start
        return self.data[start:end]


def test_the_line_index_finds_any_line_through_a_small_range():
    data = b"h1,h2\r\n" + b"".join(b"v%d,x\r\n" % i for i in range(1, 2000))
    index = LineIndex.from_bytes(line_index_build(data, step=64).to_bytes())
    reads = CountingReads(data)

    found = lines_read(index, RangeReader(reads, index.size), 1500, 1502, shown=100)

    assert [(line.number, line.head) for line in found] == [(1500, b"v1499,x"), (1501, b"v1500,x"), (1502, b"v1501,x")]
    assert reads.read <= 64 * 1024
    assert index.lines == 2000
    assert index.header == (0, 5)
    assert np.all(np.diff(index.offsets) > 0)


def test_a_long_line_is_indexed_at_both_ends_so_only_its_start_is_read():
    long = b"," * (10 * LINE_INDEX_BLOCK)
    data = b"h1,h2\n" + b"a,b\n" * 10 + long + b"\r\n" + b"x,y\n" * 5
    index = line_index_build(data)
    reads = CountingReads(data)

    found = lines_read(index, RangeReader(reads, index.size), 11, 14, shown=1000)

    assert [line.number for line in found] == [11, 12, 13, 14]
    assert found[1].head == b"," * 1000
    assert found[1].cut
    assert found[1].end - found[1].start == len(long)
    assert found[2].head == b"x,y"
    assert reads.read <= 3 * READ_BLOCK < len(long)  # a few blocks, not the long line
    assert index.start(13) == data.index(b"x,y")


def test_the_census_counts_cells_outside_quotes_and_utf8_characters_block_by_block():
    record = ('a,"b,c",é' + ",x" * 700_000).encode()
    reader = RangeReader(lambda s, e: record[s:e], len(record))

    characters, cells = line_census(reader, 0, len(record), ",")

    assert cells == 3 + 700_000
    assert characters == len(record.decode())


def test_the_census_keeps_a_quote_open_across_blocks():
    record = b'"' + b"," * (CENSUS_BLOCK + 10) + b'",a,"b"'
    reader = RangeReader(lambda s, e: record[s:e], len(record))

    assert line_census(reader, 0, len(record), ",") == (len(record), 3)
