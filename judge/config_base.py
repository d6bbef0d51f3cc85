"""The base of every config table: strict types, no unknown keys, no NaN (see judge.config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # strict: `concurrency = "8"` is a mistake to report, not a string to convert; a TOML int is
    # still accepted for a float. No NaN or inf: TOML has them, no setting needs them.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
