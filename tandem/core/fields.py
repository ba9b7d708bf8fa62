"""Model fields for clinical free text, encrypted at rest (see ``tandem.core.crypto``)."""

from __future__ import annotations

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
