"""One rubric prompt read once, not once per slot: sharing a prompt prefix across llama.cpp's slots.

llama.cpp keeps a KV cache per slot and never copies a prefix from one slot to another. With four
slots, a rubric's system prompt (russian_fluency: ~7,400 tokens) is therefore read four times, at
~90 tokens/s on two CPU cores (measured: 30-80 s each), although every verdict of the rubric starts
with it. Its slot API can save one slot's cache to a file and restore it into the others: a file
copy (~12 KB a token for a 0.5B model) instead of a prefill. After a restore every slot finds the
rubric in its cache (measured: `cache_n` 3,068 of 3,355 tokens on all four slots).

Best effort and engine-specific on purpose: a server that is not llama.cpp (no `total_slots` in
`/props`), has one slot, or was started without `--slot-save-path` (save answers an error) is
probed once and left alone; nothing about a verdict depends on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, cast

from .client import Endpoint, Replica

log = logging.getLogger(__name__)


def _root(url: str) -> str:
    """The server root of an OpenAI-style base URL (`http://h:p/v1` -> `http://h:p`)."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def prefix_key(messages: list[dict[str, Any]]) -> str:
    """What the verdicts of one group share: their system message (the rendered rubric)."""
    system = next((m.get("content") for m in messages if m.get("role") == "system"), None)
    return hashlib.sha256(json.dumps(system, ensure_ascii=False).encode()).hexdigest()[:20]


class PrefixSharer:
    """Warms one slot with a group's first prompt and copies its cache into the other slots."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._slots: dict[str, int] = {}  # replica url -> slots to share across (0: leave alone)
        self.shared = 0
        """Groups whose prefix was copied into every slot (for tests and the bench)."""

    async def _n_slots(self, rep: Replica) -> int:
        if rep.url not in self._slots:
            n = 0
            try:
                props = await rep.client.get(f"{_root(rep.url)}/props", cast_to=object)
                total = props.get("total_slots") if isinstance(props, dict) else None
                n = total if isinstance(total, int) and total > 1 else 0
            except Exception as e:  # not llama.cpp, or no /props: nothing to share
                log.debug("prefix sharing off for %s: %s", rep.url, e)
            self._slots[rep.url] = n
        return self._slots[rep.url]

    async def share(self, messages: list[dict[str, Any]], model: str) -> bool:
        """Read `messages` into slot 0 of every replica, then copy that slot into the others."""
        done = False
        for rep in self.endpoint.replicas:
            n = await self._n_slots(rep)
            if n and await self._share_on(rep, n, messages, model):
                done = True
        self.shared += done
        return done

    async def _share_on(self, rep: Replica, n: int, messages: list[dict[str, Any]], model: str) -> bool:
        root, name = _root(rep.url), f"judge-prefix-{prefix_key(messages)}.bin"
        try:
            # max_tokens 1: only the prompt is read; the group's first real request then finds it whole.
            await rep.client.chat.completions.create(
                model=model, messages=cast(Any, messages), max_tokens=1, extra_body={"id_slot": 0, "cache_prompt": True}
            )
            await rep.client.post(f"{root}/slots/0?action=save", cast_to=object, body={"filename": name})
            for slot in range(1, n):
                await rep.client.post(f"{root}/slots/{slot}?action=restore", cast_to=object, body={"filename": name})
        except Exception as e:  # e.g. started without --slot-save-path: stop trying on this server
            log.debug("prefix sharing off for %s: %s", rep.url, e)
            self._slots[rep.url] = 0
            return False
        return True
