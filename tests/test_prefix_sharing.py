"""A rubric's prompt read once and copied into every llama.cpp slot (judge/model/prefix.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest

from judge.config import ModelConfig
from judge.model import Endpoint
from judge.model.prefix import PrefixSharer
from tests.fakes.server import FakeServer

SYSTEM = "You grade answers. " + " ".join(f"Rule {i}: be strict about item {i}." for i in range(120))


def _messages(user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def _share(base_url: str, model: str, concurrency: int) -> tuple[bool, int]:
    cfg = ModelConfig(name="j", base_url=base_url, model=model, concurrency=concurrency)

    async def go() -> tuple[bool, int]:
        ep = Endpoint(cfg)
        sharer = PrefixSharer(ep)
        try:
            first = await sharer.share(_messages("-"), model)
            await sharer.share(_messages("-"), model)  # a second group (on a non-llama.cpp server: no second probe)
            return first, sharer.shared
        finally:
            await ep.aclose()

    return asyncio.run(go())


def test_a_server_that_is_not_llamacpp_is_left_alone() -> None:
    # The fake OpenAI server has no /props: sharing is off after one probe, and no chat request is sent.
    with FakeServer() as srv:
        shared, n = _share(srv.base_url, "fake-model", 4)
        assert (shared, n) == (False, 0)
        assert srv.requests == []
        assert srv.counts["404"] == 1


def _timings(base_url: str, user: str) -> dict:
    body = {"model": "smollm2", "messages": _messages(user), "max_tokens": 1}
    req = urllib.request.Request(
        f"{base_url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())["timings"]


@pytest.mark.llamacpp
def test_every_slot_finds_the_shared_prefix_in_its_cache(llamacpp_server) -> None:
    shared, n = _share(llamacpp_server.base_url, "smollm2", llamacpp_server.n_parallel)
    assert shared and n == 2
    # As many concurrent requests as slots, each with the shared system prompt and its own question:
    # every one of them (whichever slot it lands on) reads only its own tail.
    out: list[dict] = []
    users = [f"Question {i}: is {i} + {i} = {2 * i}?" for i in range(llamacpp_server.n_parallel)]
    threads = [threading.Thread(target=lambda u=u: out.append(_timings(llamacpp_server.base_url, u))) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == len(users)
    for t in out:
        assert t["cache_n"] > 5 * t["prompt_n"], t  # the system prompt came from the cache, not a prefill
