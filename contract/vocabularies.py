"""The configurable vocabularies (`is_derived`, `data_type`), with the spec's defaults."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def _words(values: Iterable[str]) -> frozenset[str]:
    return frozenset(str(v).strip().lower() for v in values)


@dataclass(frozen=True)
class Vocabularies:
    """Plain lists/dicts are accepted (e.g. from Django settings); matching is case-insensitive."""

    is_derived_true: frozenset[str] = frozenset({"true", "t", "yes", "y", "1"})
    is_derived_false: frozenset[str] = frozenset({"false", "f", "no", "n", "0"})
    data_types: frozenset[str] = frozenset(
        {"string", "integer", "decimal", "boolean", "date", "datetime", "percentage", "currency", "enum"}
    )
    data_type_synonyms: Mapping[str, str] = field(
        default_factory=lambda: {
            "text": "string",
            "int": "integer",
            "float": "decimal",
            "double": "decimal",
            "number": "decimal",
            "numeric": "decimal",
            "bool": "boolean",
            "timestamp": "datetime",
        }
    )

    def __post_init__(self) -> None:
        # frozen: normalise through object.__setattr__ so lists from settings work too
        object.__setattr__(self, "is_derived_true", _words(self.is_derived_true))
        object.__setattr__(self, "is_derived_false", _words(self.is_derived_false))
        object.__setattr__(self, "data_types", _words(self.data_types))
        synonyms = {str(k).strip().lower(): str(v).strip().lower() for k, v in dict(self.data_type_synonyms).items()}
        object.__setattr__(self, "data_type_synonyms", synonyms)

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> "Vocabularies":
        """Build from a dict whose keys are this class's field names; missing keys keep the defaults."""
        return cls(**{k: v for k, v in (settings or {}).items() if k in cls.__dataclass_fields__})

    def data_type_canonical(self) -> dict[str, str]:
        """Lower-case word -> canonical data type."""
        canonical = {word: word for word in self.data_types}
        canonical.update(dict(self.data_type_synonyms.items()))
        return canonical

    def is_derived_boolean(self) -> dict[str, bool]:
        """Lower-case word -> stored boolean."""
        return {**dict.fromkeys(self.is_derived_true, True), **dict.fromkeys(self.is_derived_false, False)}

    def vocabulary(self, field_name: str) -> dict:
        return self.data_type_canonical() if field_name == "data_type" else self.is_derived_boolean()


def vocabulary_words(field_name: str, vocabularies: Vocabularies) -> list[str]:
    """Every accepted word of a vocabulary field, canonical words first."""
    if field_name == "data_type":
        return sorted(vocabularies.data_types) + sorted(vocabularies.data_type_synonyms)
    return sorted(vocabularies.is_derived_true) + sorted(vocabularies.is_derived_false)


def vocabulary_allowed(field_name: str, vocabularies: Vocabularies, *, synonyms: bool = True) -> str:
    """The allowed words as a user reads them; a message names the synonyms only in general."""
    if field_name == "data_type":
        words = ", ".join(sorted(vocabularies.data_types))
        if not vocabularies.data_type_synonyms:
            return words
        if not synonyms:
            return f"{words}, and their synonyms"
        pairs = ", ".join(f"{k}→{v}" for k, v in sorted(vocabularies.data_type_synonyms.items()))
        return f"{words}; synonyms {pairs}"
    return (
        f"true = {', '.join(sorted(vocabularies.is_derived_true))}; "
        f"false = {', '.join(sorted(vocabularies.is_derived_false))}"
    )
