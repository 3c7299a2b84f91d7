"""Damaged files never crash the engine, and its counts always add up as the spec says."""

import random

import pytest

from engine import FILES, pipeline_run
from tests.conftest import SAMPLE_DIR

FRAGMENTS = [
    b'"',
    b",",
    b";",
    b"\t",
    b"|",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b"\x00",
    b"\xff",
    b"\xe9",
    b"=",
    b'""',
    b"\xef\xbb\xbf",
]


def _damaged(files: dict[str, bytes], rng: random.Random) -> dict[str, bytes]:
    files = dict(files)
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(FILES)
        data = bytearray(files[name])
        position = rng.randint(0, len(data))
        roll = rng.random()
        if roll < 0.45:
            data[position:position] = rng.choice(FRAGMENTS)
        elif roll < 0.65:
            del data[position : position + rng.randint(1, 5)]
        elif roll < 0.75:
            del data[position:]
        elif roll < 0.85:
            data = bytearray(rng.getrandbits(8) for _ in range(rng.randint(0, 50)))
        else:
            data = data.replace(b",", rng.choice([b";", b"\t", b"|", b",,", b'","']), rng.randint(1, 5))
        files[name] = bytes(data)
    return files


@pytest.mark.parametrize("seed", range(5))
def test_damaged_samples_give_a_result_whose_counts_add_up(seed):
    rng = random.Random(seed)
    sample = {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in FILES}
    for _ in range(60):
        result = pipeline_run(files=_damaged(sample, rng))

        assert result.failed == bool(result.error)
        for part in result.files.values():
            assert part.rows_read == part.rows_persisted + part.rows_rejected + part.rows_duplicate
            assert len(part.records) == part.rows_persisted
        if result.failed:
            assert all(part.rows_persisted == 0 for part in result.files.values())
