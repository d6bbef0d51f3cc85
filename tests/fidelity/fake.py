"""A scripted `/v1/completions` server whose full next-token distributions are known, for `judge fidelity`.

The "model": words are tokens (id = a hash of the word mod VOCAB); the logits at each position are a
seeded function of the previous token id, sharp enough that the top k hold most of the mass. A
`distortion` adds seeded noise of that size to the logits at positions whose previous word is
Cyrillic, so a test can plant a known difference in Russian text only and compute the exact
full-vocabulary KLD itself (`exact`) to compare with what the command measured.

Kinds of server: `vllm` (prompt_logprobs with token ids, vLLM's shape), `echo` (the legacy OpenAI
shape: echo + logprobs keyed by token text; prompt_logprobs ignored), `none` (generated-token
logprobs only, as llama.cpp's server: prompt_logprobs and echo ignored), and `vllm` with
`tokenizer_salt` (another tokenizer).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

VOCAB = 400
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "little")


def words(text: str) -> list[str]:
    return text.split()


def token_id(word: str, salt: str = "") -> int:
    return _seed("tok", salt, word) % VOCAB


def logprobs(prev_id: int, prev_word: str, distortion: float) -> np.ndarray:
    """The full log-distribution over VOCAB after `prev_id` (distorted after a Cyrillic word)."""
    rng = np.random.default_rng(_seed("logits", prev_id))
    logits = rng.normal(0.0, 5.0, VOCAB)
    if distortion and _CYRILLIC.search(prev_word):
        logits = logits + np.random.default_rng(_seed("noise", prev_id)).normal(0.0, distortion, VOCAB)
    m = logits.max()
    return logits - (m + np.log(np.exp(logits - m).sum()))


def exact(text: str, distortion: float) -> tuple[list[float], int, float, float]:
    """Full-vocabulary per-token KLD(base || distorted), top-1 agreements, and both NLL sums."""
    ws = words(text)
    ids = [token_id(w) for w in ws]
    klds, agree, nll_b, nll_v = [], 0, 0.0, 0.0
    for i in range(1, len(ids)):
        p = logprobs(ids[i - 1], ws[i - 1], 0.0)
        q = logprobs(ids[i - 1], ws[i - 1], distortion)
        klds.append(float(np.sum(np.exp(p) * (p - q))))
        agree += int(np.argmax(p) == np.argmax(q))
        nll_b -= float(p[ids[i]])
        nll_v -= float(q[ids[i]])
    return klds, agree, nll_b, nll_v


@dataclass
class Script:
    kind: str = "vllm"
    distortion: float = 0.0
    tokenizer_salt: str = ""
    fail_word: str | None = None
    """A prompt containing this word gets HTTP 500 every time (an error row after the retries)."""
    requests: list[dict[str, Any]] = field(default_factory=list)


def _vllm_choice(text: str, s: Script, k: int) -> dict[str, Any]:
    ws = words(text)
    ids = [token_id(w, s.tokenizer_salt) for w in ws]
    names = {i: w for i, w in zip(ids, ws)}
    plp: list[Any] = [None]
    for i in range(1, len(ids)):
        lp = logprobs(ids[i - 1], ws[i - 1], s.distortion)
        order = np.argsort(-lp, kind="stable")
        rank = {int(t): r + 1 for r, t in enumerate(order)}
        entry = {str(ids[i]): {"logprob": float(lp[ids[i]]), "rank": rank[ids[i]], "decoded_token": ws[i]}}
        for t in order[:k]:
            entry.setdefault(
                str(int(t)),
                {"logprob": float(lp[t]), "rank": rank[int(t)], "decoded_token": names.get(int(t), f"w{t}")},
            )
        plp.append(entry)
    return {
        "index": 0,
        "text": " x",
        "logprobs": None,
        "finish_reason": "length",
        "prompt_logprobs": plp,
        "prompt_token_ids": ids,
    }


def _echo_choice(text: str, s: Script, k: int) -> dict[str, Any]:
    ws = words(text)
    ids = [token_id(w, s.tokenizer_salt) for w in ws]
    names = {token_id(w, s.tokenizer_salt): w for w in ws}
    tokens, lps, tops = [ws[0]], [None], [None]
    for i in range(1, len(ids)):
        lp = logprobs(ids[i - 1], ws[i - 1], s.distortion)
        order = np.argsort(-lp, kind="stable")[:k]
        top = {names.get(int(t), f"w{t}"): float(lp[t]) for t in order}
        top.setdefault(ws[i], float(lp[ids[i]]))
        tokens.append(ws[i])
        lps.append(float(lp[ids[i]]))
        tops.append(top)
    # and the one generated token, which is not part of the prompt
    tokens.append(" x")
    lps.append(-1.0)
    tops.append({" x": -1.0})
    return {
        "index": 0,
        "text": text + " x",
        "finish_reason": "length",
        "logprobs": {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": []},
    }


def respond(body: dict[str, Any], s: Script) -> dict[str, Any]:
    text, k = body["prompt"], int(body.get("prompt_logprobs") or body.get("logprobs") or 0)
    n = len(words(text))
    usage = {"prompt_tokens": n, "completion_tokens": 1, "total_tokens": n + 1}
    if s.kind == "vllm" and body.get("prompt_logprobs") is not None:
        choice = _vllm_choice(text, s, k)
    elif s.kind == "echo" and body.get("echo"):
        choice = _echo_choice(text, s, k)
    else:  # generated-token logprobs only (llama.cpp's server), or nothing asked
        choice = {
            "index": 0,
            "text": " x",
            "finish_reason": "length",
            "logprobs": {"tokens": [" x"], "token_logprobs": [-1.0], "top_logprobs": [{" x": -1.0}]},
        }
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "model": body.get("model"),
        "choices": [choice],
        "usage": usage,
    }


class FakeLogprobServer:
    """`with FakeLogprobServer(Script(...)) as srv:` — srv.base_url ends in /v1."""

    def __init__(self, script: Script) -> None:
        self.script = script
        s = script

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                s.requests.append(body)
                if not self.path.endswith("/completions"):
                    self.send_error(404)
                    return
                if s.fail_word and s.fail_word in words(body["prompt"]):
                    self.send_error(500)
                    return
                data = json.dumps(respond(body, s)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeLogprobServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
