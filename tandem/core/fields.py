"""Model fields for clinical free text, encrypted at rest (see ``tandem.core.crypto``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import models

from tandem.core import crypto


class EncryptedTextField(models.TextField):
    """A text field whose database value is ciphertext.

    It cannot be filtered, ordered or searched in SQL: a database dump or backup holds
    no clinical free text. Reads through the model decrypt transparently.
    """

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> str | None:
        if value is None or not isinstance(value, str):
            return value
        if value.startswith(crypto.PREFIX):
            try:
                return crypto.decrypt(value)
            except crypto.DecryptionError:
                return value  # typed text that merely looks like ciphertext
        return value

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))

    def get_db_prep_save(self, value: Any, connection: Any) -> str | None:
        return self.get_prep_value(value)

    def value_to_string(self, obj: Any) -> str | None:
        # Serialisation (``dumpdata``, fixtures) writes ciphertext, never the clear text;
        # ``to_python`` decrypts it again on ``loaddata``.
        return self.get_prep_value(self.value_from_object(obj))


class EncryptedJSONField(models.TextField):
    """Structured clinical answers (a worksheet's fields) stored as encrypted JSON."""

    description = "Encrypted JSON"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        import json

        return json.loads(crypto.decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            import json

            try:
                return json.loads(crypto.decrypt(value))
            except crypto.DecryptionError:
                return value  # a string value that merely looks like ciphertext
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        import json

        return crypto.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def get_db_prep_save(self, value: Any, connection: Any) -> str | None:
        return self.get_prep_value(value)

    def value_to_string(self, obj: Any) -> str | None:
        # Serialisation (``dumpdata``, fixtures) writes ciphertext, never the clear text.
        return self.get_prep_value(self.value_from_object(obj))


ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


class LazyJSON(Mapping[str, Any]):
    """A JSON object read from the database and parsed on first use."""

    __slots__ = ("_data", "_raw")

    def __init__(self, raw: str) -> None:
        self._raw = raw
        self._data: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self._raw)
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __eq__(self, other: object) -> bool:
        return self.data == (other.data if isinstance(other, LazyJSON) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyJSON({len(self._raw)} characters)"


def resolve_json(value: Any) -> Any:
    """The plain value behind a ``LazyJSON`` (anything else unchanged)."""
    return value.data if isinstance(value, LazyJSON) else value


class LazyJSONField(models.JSONField):
    """A JSON object that is parsed only when it is used.

    For large, rarely read documents that ride along with often-read rows: a program
    version's content snapshot (about 200 KB) is selected whenever an enrollment is
    read with its version, while its parsed content comes from a per-process cache
    (``programs.catalog.package_for``). Values are ``LazyJSON`` mappings; writes accept
    plain dicts or ``LazyJSON``."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return LazyJSON(value)
        return super().from_db_value(value, expression, connection)

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(resolve_json(value))

    def value_from_object(self, obj: models.Model) -> Any:
        return resolve_json(super().value_from_object(obj))
