"""Bounds on the work one file may cost (settings `DATASET_MAX_*`): past a limit, what lies beyond it
is not read or not listed, and the file gets one `limit-exceeded` anomaly (`engine.limits`)."""

from collections.abc import Mapping
from dataclasses import dataclass

# 11 fields of up to this many characters, at up to 4 UTF-8 bytes each, stay below 16 MiB.
FIELD_CHARS_CEILING = 262_144


@dataclass(frozen=True)
class Limits:
    header_columns: int = 1_000  # header cells read; later ones are ignored unread
    line_cells: int = 10_000  # cells of a record parsed; later ones are extra cells, dropped unread
    field_chars: int = 65_536  # a longer value rejects its record
    anomalies_per_code: int = 10_000  # listed per file and code; the rest are only counted
    workbook_bytes: int = 1 << 30  # an .xlsx unpacking to more (by its zip directory) is not opened
    sheet_cells: int = 16_000_000  # a sheet whose used rows times columns pass this is not read

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"limit {name} must be at least 1")
            object.__setattr__(self, name, int(getattr(self, name)))
        if self.field_chars > FIELD_CHARS_CEILING:
            raise ValueError(f"field_chars above {FIELD_CHARS_CEILING:,} would let a record pass MongoDB's 16 MiB")

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> "Limits":
        """From a dict keyed by this class's field names; missing or None values keep the defaults."""
        given = {k: v for k, v in (settings or {}).items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**given)
