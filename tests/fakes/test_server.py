"""The fake OpenAI-compatible server: replies, reasoning shapes, faults, schema helpers, logprobs."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Literal

import openai
import pytest
from pydantic import BaseModel, Field, create_model

from tests.fakes.server import (
    FakeServer,
    FaultPlan,
    Reply,
    echo_reply,
    echo_text,
    find_schema,
    invalid_json_reply,
    json_reply_for_schema,
    logprobs_for_json,
    prompt_key,
    schema_reply,
    tokenize,
    truncated_json_reply,
)

REPO = Path(__file__).resolve().parents[2]
MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Сколько будет 2+2?"}]


def client(srv: FakeServer, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0, **kw)


def ask(c: openai.OpenAI, content: str = "Сколько будет 2+2?", **kw):
    return c.chat.completions.create(model="asked-model", messages=[{"role": "user", "content": content}], **kw)


@pytest.fixture
def srv():
    with FakeServer() as s:
        yield s


# --- judge-shaped pydantic models: nested $defs, ge/le, max_length, Literal ------------------

Criterion = create_model(
    "Criterion",
    name=(str, Field(max_length=12)),
    score=(int, Field(ge=1, le=5)),
    notes=(list[str], Field(default_factory=list, max_length=3)),
)
Pairwise = create_model(
    "Pairwise",
    rationale=(str, Field(max_length=30)),
    score=(int, Field(ge=1, le=5)),
    winner=(Literal["A", "B", "tie"], ...),
    criteria=(list[Criterion], Field(min_length=2)),
    best=(Criterion | None, None),
    confidence=(float, Field(gt=0, lt=1)),
    fluency_score=(int, Field(ge=0, le=10)),
)


def schema_request(model: type[BaseModel], **kw) -> dict:
    return {
        "model": "m",
        "messages": MSGS,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": model.__name__, "schema": model.model_json_schema(), "strict": True},
        },
        **kw,
    }


# --- ok replies -------------------------------------------------------------------------------


def test_ok_reply_models_and_recording(srv):
    c = client(srv)
    assert [m.id for m in c.models.list()] == ["fake-model"]
    r = ask(c)
    assert r.model == "fake-model"  # the server's id, not the requested one
    assert r.object == "chat.completion" and r.id and r.created > 0
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == echo_text("Сколько будет 2+2?")
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 3 and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.completion_tokens_details is None
    assert srv.counts == Counter({"ok": 1})
    (rec,) = srv.requests
    assert rec["model"] == "asked-model" and rec["messages"][0]["content"] == "Сколько будет 2+2?"
    assert rec["headers"]["authorization"] == "Bearer x"
    assert rec["_outcome"] == "ok" and rec["_attempt"] == 0 and rec["_key"] == prompt_key(rec["messages"])
    assert srv.attempts_for(rec["messages"]) == 1


@pytest.mark.parametrize("shape", ["reasoning", "reasoning_content", "think_inline"])
def test_reasoning_shapes(shape):
    reply = Reply(
        content="42", reasoning="шаг 1: думать", reasoning_shape=shape, reasoning_tokens=7, completion_tokens=9
    )
    with FakeServer(reply=reply) as s:
        raw = ask(client(s))
    msg = raw.choices[0].message
    extra = msg.model_extra or {}
    if shape == "think_inline":
        assert msg.content == "<think>\nшаг 1: думать\n</think>\n\n42"
        assert "reasoning" not in extra and "reasoning_content" not in extra
    else:
        assert msg.content == "42"
        assert extra[shape] == "шаг 1: думать"
        assert ({"reasoning", "reasoning_content"} - {shape}).isdisjoint(extra)
    assert raw.usage.completion_tokens == 9
    assert raw.usage.completion_tokens_details.reasoning_tokens == 7


def test_reply_kinds_str_dict_raw_and_errors():
    with FakeServer(reply=lambda req: {"verdict": "A"}) as s:
        assert json.loads(ask(client(s)).choices[0].message.content) == {"verdict": "A"}
    raw = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "raw",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "verbatim"}, "finish_reason": "stop"}],
    }
    with FakeServer(reply=lambda req: raw) as s:
        r = ask(client(s))
        assert (r.model, r.choices[0].message.content, r.usage) == ("raw", "verbatim", None)
    with FakeServer(reply="constant") as s:
        assert ask(client(s)).choices[0].message.content == "constant"

    def boom(req):
        raise RuntimeError("bad fixture")

    with FakeServer(reply=boom) as s:
        with pytest.raises(openai.InternalServerError, match="bad fixture"):
            ask(client(s))
        assert s.counts["reply_error"] == 1 and isinstance(s.errors[0], RuntimeError)


def test_stream_rejected_and_unknown_route(srv):
    c = client(srv)
    with pytest.raises(openai.BadRequestError, match="stream"):
        ask(c, stream=True)
    with pytest.raises(openai.NotFoundError):
        c.completions.create(model="m", prompt="hi")
    assert srv.counts["400"] == 1 and srv.counts["404"] == 1


def test_raw_http_pipelining_keepalive_and_chunked(srv):
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    req = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(req + req[:10])  # one and a bit, then the rest in a second write
        time.sleep(0.05)
        sock.sendall(req[10:] + b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3 and data.rstrip().endswith(b'"owned_by":"fakeserver"}]}')
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 411")
    assert srv.counts["ok"] == 2


# --- faults -----------------------------------------------------------------------------------


def test_500_and_429_with_retry_after():
    with FakeServer(faults=FaultPlan(rates={"500": 1.0})) as s:
        with pytest.raises(openai.InternalServerError):
            ask(client(s))
        assert s.counts == Counter({"500": 1})
    for ra, header in ((1, "1"), (0, "0"), (2.5, "2.5")):
        with FakeServer(faults=FaultPlan(rates={"429": 1.0}, retry_after=ra)) as s:
            with pytest.raises(openai.RateLimitError) as ei:
                ask(client(s))
            assert ei.value.response.headers["retry-after"] == header
            assert ei.value.status_code == 429
    with FakeServer(faults=FaultPlan(rates={"503": 1.0})) as s:
        with pytest.raises(openai.InternalServerError) as ei:
            ask(client(s))
        assert ei.value.status_code == 503


def test_drop_raises_connection_error():
    with FakeServer(faults=FaultPlan(rates={"drop": 1.0})) as s:
        with pytest.raises(openai.APIConnectionError) as ei:
            ask(client(s, timeout=5))
        assert not isinstance(ei.value, openai.APITimeoutError)
        assert s.counts == Counter({"drop": 1}) and len(s.requests) == 1  # the request was read


def test_timeout_raises_timeout_and_stop_is_prompt():
    with FakeServer(faults=FaultPlan(rates={"timeout": 1.0}, timeout_sleep_s=30)) as s:
        t = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            ask(client(s, timeout=0.3))
        assert time.monotonic() - t < 3
        assert s.counts == Counter({"timeout": 1})
        t = time.monotonic()
    assert time.monotonic() - t < 2


def test_timeout_then_respond_and_slow():
    plan = FaultPlan(rates={"timeout": 0.5, "slow": 0.5}, timeout_sleep_s=0.2, timeout_action="respond", slow_s=0.1)
    with FakeServer(faults=plan, seed=3) as s:
        c = client(s, timeout=5)
        for i in range(4):
            t = time.monotonic()
            r = ask(c, f"q{i}")
            assert r.choices[0].message.content == echo_text(f"q{i}")
            assert time.monotonic() - t >= 0.09
        assert s.counts["timeout"] + s.counts["slow"] == 4 and s.counts["timeout"] > 0 and s.counts["slow"] > 0


def test_latency_applies_to_every_request():
    with FakeServer(faults=FaultPlan(latency_s=0.05)) as s:
        t = time.monotonic()
        ask(client(s))
        assert time.monotonic() - t >= 0.05


def test_invalid_and_truncated_json_faults():
    req_kw = {
        "response_format": {"type": "json_schema", "json_schema": {"name": "P", "schema": Pairwise.model_json_schema()}}
    }
    with FakeServer(reply=schema_reply(4), faults=FaultPlan(rates={"invalid_json": 1.0})) as s:
        r = ask(client(s), **req_kw)
        assert r.choices[0].finish_reason == "stop"
        with pytest.raises(ValueError):
            json.loads(r.choices[0].message.content)
    with FakeServer(reply=schema_reply(4), faults=FaultPlan(rates={"truncated_json": 1.0})) as s:
        r = ask(client(s), max_tokens=64, **req_kw)
        assert r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 64
        assert r.choices[0].message.content.startswith("{")
        with pytest.raises(ValueError):
            json.loads(r.choices[0].message.content)
        assert s.counts == Counter({"truncated_json": 1})


def test_fail_first_n_is_per_prompt_and_per_attempt():
    with FakeServer(faults=FaultPlan(fail_first_n=2)) as s:
        c = client(s)
        for prompt in ("a", "b"):
            for _ in range(2):
                with pytest.raises(openai.InternalServerError):
                    ask(c, prompt)
            assert ask(c, prompt).choices[0].message.content == echo_text(prompt)
        assert s.counts == Counter({"500": 4, "ok": 2})
        assert [r["_attempt"] for r in s.requests] == [0, 1, 2, 0, 1, 2]
    with (
        FakeServer(faults=FaultPlan(fail_first_n=1, fail_first_kind="429", retry_after=0)) as s,
        pytest.raises(openai.RateLimitError),
    ):
        ask(client(s))


def test_always_fail_for_predicate_and_substring():
    plan = FaultPlan().always_fail_for("POISON").always_fail_for(lambda req: req.get("temperature") == 1.5, kind="drop")
    with FakeServer(faults=plan) as s:
        c = client(s)
        for _ in range(3):
            with pytest.raises(openai.InternalServerError):
                ask(c, "this is POISON")
        with pytest.raises(openai.APIConnectionError):
            ask(c, "fine", temperature=1.5)
        assert ask(c, "fine").choices[0].message.content == echo_text("fine")
        assert s.counts == Counter({"500": 3, "drop": 1, "ok": 1})


def test_seeded_faults_are_reproducible():
    def outcomes(seed):
        with FakeServer(faults=FaultPlan(rates={"500": 0.3, "429": 0.2}), seed=seed) as s:
            c = client(s)
            for i in range(40):
                try:
                    ask(c, f"p{i}")
                except openai.APIStatusError:
                    pass
            return [r["_outcome"] for r in s.requests]

    a = outcomes(7)
    assert a == outcomes(7) and a != outcomes(8)
    assert {"ok", "500", "429"} <= set(a)


def test_fault_plan_validation():
    with pytest.raises(ValueError):
        FaultPlan(rates={"500": 0.7, "drop": 0.5})
    with pytest.raises(ValueError):
        FaultPlan(rates={"explode": 0.1})
    assert FaultPlan.mixed(0.3).rates == pytest.approx({"500": 0.1, "429": 0.1, "drop": 0.1})


# --- async, concurrency, stop -------------------------------------------------------------------


def test_500_async_requests_at_concurrency_32(srv):
    async def run():
        c = openai.AsyncOpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
        sem = asyncio.Semaphore(32)

        async def one(i):
            async with sem:
                r = await c.chat.completions.create(model="m", messages=[{"role": "user", "content": f"q{i}"}])
                return r.choices[0].message.content

        out = await asyncio.gather(*(one(i) for i in range(500)))
        await c.close()
        return out

    out = asyncio.run(run())
    assert out == [echo_text(f"q{i}") for i in range(500)]
    assert srv.counts == Counter({"ok": 500}) and len(srv.requests) == 500


def test_async_faults_map_exactly_to_exceptions():
    plan = FaultPlan(rates={"500": 0.1, "429": 0.1, "drop": 0.1})

    async def run(url):
        c = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0, timeout=5)
        sem = asyncio.Semaphore(32)

        async def one(i):
            async with sem:
                return await c.chat.completions.create(model="m", messages=[{"role": "user", "content": f"q{i}"}])

        out = await asyncio.gather(*(one(i) for i in range(300)), return_exceptions=True)
        await c.close()
        return out

    with FakeServer(faults=plan, seed=11) as s:
        out = asyncio.run(run(s.base_url))
        seen = Counter(
            "ok"
            if not isinstance(o, BaseException)
            else "500"
            if isinstance(o, openai.InternalServerError)
            else "429"
            if isinstance(o, openai.RateLimitError)
            else "drop"
            if isinstance(o, openai.APIConnectionError) and not isinstance(o, openai.APITimeoutError)
            else repr(o)
            for o in out
        )
        assert seen == s.counts and sum(s.counts.values()) == 300
        assert all(s.counts[k] > 10 for k in ("500", "429", "drop"))


def test_sync_and_async_clients_concurrently_and_stop_closes_connections():
    with FakeServer() as s:
        errors: list[BaseException] = []

        def sync_worker():
            try:
                c = client(s)
                for i in range(50):
                    ask(c, f"t{i}")
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=sync_worker) for _ in range(3)]
        for t in threads:
            t.start()

        async def run():
            c = openai.AsyncOpenAI(base_url=s.base_url, api_key="x", max_retries=0)
            await asyncio.gather(
                *(
                    c.chat.completions.create(model="m", messages=[{"role": "user", "content": str(i)}])
                    for i in range(50)
                )
            )
            await c.close()

        asyncio.run(run())
        for t in threads:
            t.join()
        assert not errors and s.counts["ok"] == 200
        c = client(s, timeout=10)
        ask(c)  # leaves a keep-alive connection open
    t = time.monotonic()
    with pytest.raises(openai.APIConnectionError):
        ask(c)
    assert time.monotonic() - t < 2


def test_stop_aborts_pending_delayed_request():
    s = FakeServer(faults=FaultPlan(rates={"timeout": 1.0}, timeout_sleep_s=30)).start()
    got: list[BaseException] = []

    def worker():
        try:
            ask(client(s, timeout=20))
        except BaseException as e:
            got.append(e)

    th = threading.Thread(target=worker)
    th.start()
    deadline = time.monotonic() + 5
    while not s.counts and time.monotonic() < deadline:
        time.sleep(0.01)
    t = time.monotonic()
    s.stop()
    th.join(5)
    assert time.monotonic() - t < 3
    assert len(got) == 1 and isinstance(got[0], openai.APIConnectionError)


# --- schema helpers ----------------------------------------------------------------------------


def test_json_reply_for_schema_validates_against_pydantic():
    req = schema_request(Pairwise)
    assert "$defs" in req["response_format"]["json_schema"]["schema"]
    obj = json_reply_for_schema(req)
    m = Pairwise.model_validate(obj)
    assert m.winner == "A" and 1 <= m.score <= 5 and len(m.criteria) == 2 and m.best is not None
    obj = json_reply_for_schema(req, score=5, winner="tie", rationale="x" * 10, overrides={"confidence": 0.9})
    m = Pairwise.model_validate(obj)
    assert (m.score, m.winner, m.rationale, m.confidence, m.fluency_score) == (5, "tie", "x" * 10, 0.9, 5)
    assert all(c.score == 5 for c in m.criteria)
    obj = json_reply_for_schema(req, score={"score": 2, "fluency_score": 9})
    m = Pairwise.model_validate(obj)
    assert (m.score, m.fluency_score, m.criteria[0].score) == (2, 9, 2)
    # the default rationale is cut to maxLength (and has Cyrillic in it)
    assert len(json_reply_for_schema(req)["rationale"]) == 30
    with pytest.raises(ValueError):
        json_reply_for_schema({"messages": MSGS})


def test_schema_reply_through_server_all_instructor_shapes():
    schema = Pairwise.model_json_schema()
    with FakeServer(reply=schema_reply(score=3, winner="B")) as s:
        c = client(s)
        # JSON_SCHEMA mode
        r = c.chat.completions.create(**schema_request(Pairwise))
        assert Pairwise.model_validate_json(r.choices[0].message.content).winner == "B"
        # TOOLS mode
        r = c.chat.completions.create(
            model="m",
            messages=MSGS,
            tools=[{"type": "function", "function": {"name": "Pairwise", "parameters": schema}}],
            tool_choice={"type": "function", "function": {"name": "Pairwise"}},
        )
        call = r.choices[0].message.tool_calls[0]
        assert call.function.name == "Pairwise" and Pairwise.model_validate_json(call.function.arguments).score == 3
        # JSON / MD_JSON modes: the schema is printed into the prompt
        prompt = f"provide json that match the following json_schema:\n\n{json.dumps(schema, indent=2)}\n\nMake sure"
        msgs = [
            {"role": "system", "content": prompt},
            {"role": "user", "content": "Return it within a ```json codeblock"},
        ]
        r = c.chat.completions.create(model="m", messages=msgs)
        text = r.choices[0].message.content
        assert text.startswith("```json\n") and Pairwise.model_validate_json(text[8:-4]).score == 3
        # without a schema: a plain judge-ish JSON
        r = ask(c)
        assert json.loads(r.choices[0].message.content)["score"] == 3


@pytest.mark.parametrize("mode", ["JSON_SCHEMA", "TOOLS", "JSON", "MD_JSON"])
def test_instructor_modes_parse(mode):
    instructor = pytest.importorskip("instructor")
    with FakeServer(reply=schema_reply(score=2, winner="B")) as s:
        c = instructor.from_openai(client(s), mode=getattr(instructor.Mode, mode))
        v = c.chat.completions.create(model="m", response_model=Pairwise, messages=MSGS, max_retries=0)
    assert (v.score, v.winner, v.fluency_score) == (2, "B", 2)


def test_find_schema_sources():
    sch = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert find_schema({"guided_json": sch})[1] == "guided"
    assert find_schema({"structured_outputs": {"json": sch}})[1] == "guided"
    assert find_schema({"messages": MSGS}) is None
    assert json_reply_for_schema(
        schema={
            "type": "array",
            "items": {"$ref": "#/$defs/X"},
            "minItems": 3,
            "$defs": {"X": {"type": "integer", "minimum": 2, "maximum": 2}},
        }
    ) == [2, 2, 2]


def test_canned_bad_replies():
    req = schema_request(Pairwise, max_tokens=10)
    with pytest.raises(ValueError):
        json.loads(invalid_json_reply(req).content)
    r = truncated_json_reply(req)
    assert r.finish_reason == "length" and r.completion_tokens == 10
    with pytest.raises(ValueError):
        json.loads(r.content)
    assert echo_reply({"messages": MSGS}).content == echo_text("Сколько будет 2+2?")


# --- logprobs ----------------------------------------------------------------------------------


def test_logprobs_for_json_marks_only_score_digits():
    text = json.dumps({"rationale": "2 из 3 шагов верны", "score": 4, "fluency_score": 7}, ensure_ascii=False)
    toks = tokenize(text)
    assert "".join(toks) == text
    lps = logprobs_for_json(text, {"3": 0.25, "4": 0.5, "5": 0.25})
    assert [t for t, _, _ in lps] == toks
    scored = [(t, lp, top) for t, lp, top in lps if len(top) > 1]
    assert [t for t, _, _ in scored] == ["4", "7"]  # score and *_score values; not the rationale's digits
    assert scored[1][1] == -9999.0  # "7" has probability 0 in the distribution
    only = logprobs_for_json(text, {"3": 0.25, "4": 0.5, "5": 0.25}, score_keys=["score"])
    scored = [(t, lp, top) for t, lp, top in only if len(top) > 1]
    assert [t for t, _, _ in scored] == ["4"]
    _, lp, top = scored[0]
    assert lp == pytest.approx(math.log(0.5)) and [x for x, _ in top] == ["4", "3", "5"]
    per_key = logprobs_for_json(text, {"score": {"4": 0.9, "5": 0.1}, "fluency_score": {"7": 0.6, "8": 0.4}})
    assert sum(len(top) > 1 for _, _, top in per_key) == 2
    nested = json.dumps({"clarity": {"score": 2}, "depth": {"score": 5}})
    in_order = logprobs_for_json(nested, [{"2": 0.6, "3": 0.4}, {"5": 0.7, "4": 0.3}])
    assert [(t, [x for x, _ in top]) for t, _, top in in_order if len(top) > 1] == [
        ("2", ["2", "3"]),
        ("5", ["5", "4"]),
    ]


def test_logprobs_attach_and_give_expected_score():
    probs = {"1": 0.05, "2": 0.05, "3": 0.2, "4": 0.5, "5": 0.2}
    with FakeServer(reply=schema_reply(score=4, probs=probs)) as s:
        r = client(s).chat.completions.create(**schema_request(Criterion), logprobs=True, top_logprobs=5)
    content = r.choices[0].message.content
    toks = r.choices[0].logprobs.content
    assert "".join(t.token for t in toks) == content
    digit = next(t for t in toks if len(t.top_logprobs) == 5)
    assert digit.token == "4" and digit.bytes == [ord("4")]
    expected = sum(int(t.token) * math.exp(t.logprob) for t in digit.top_logprobs)
    assert expected == pytest.approx(1 * 0.05 + 2 * 0.05 + 3 * 0.2 + 4 * 0.5 + 5 * 0.2)
    # an echo reply still gets (trivial) logprobs when asked for
    with FakeServer() as s:
        r = ask(client(s), logprobs=True, top_logprobs=2)
    assert "".join(t.token for t in r.choices[0].logprobs.content) == r.choices[0].message.content


# --- command line --------------------------------------------------------------------------------


def test_cli_serves_until_killed():
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.server",
            "--port",
            "0",
            "--faults",
            "0",
            "--latency-ms",
            "0",
            "--model",
            "cli-model",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        r = openai.OpenAI(base_url=url, api_key="x", max_retries=0).chat.completions.create(model="m", messages=MSGS)
        assert r.model == "cli-model"
    finally:
        p.terminate()
        _, err = p.communicate(timeout=5)
    assert json.loads(err.strip().splitlines()[-1])["counts"] == {"ok": 1}
