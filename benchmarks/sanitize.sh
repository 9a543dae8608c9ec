#!/usr/bin/env bash
# The native kernel under AddressSanitizer and UndefinedBehaviorSanitizer: builds it with
# both (setup.py, INVCODEC_SANITIZE=1) in a scratch copy of this checkout, then runs the
# native tests (the ANS decoder against constriction among them), the ANS wrapper's, the
# autoregressive and the int8 tests, the golden files' decodes and the decoder fuzzer on
# photo-v4's, photo-v6's (the online stage) and photo-v7's (96 units) lossless seeds with
# photo-lossy-v7's lossy ones (FUZZ_CASES cases each, default 300) against that build, and
# with HOSTILE_CASES set (a number, or "all") the hostile-input suite's commands too. Any
# report aborts.
#
#     benchmarks/sanitize.sh [FUZZ_CASES]        (from the repo's venv; needs gcc or clang)
#     HOSTILE_CASES=all HOSTILE_OUT=results/hostile-sanitized.json benchmarks/sanitize.sh 100000
set -euo pipefail
cases="${1:-300}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# the checkout's files as they are now (committed or not), without any built kernel
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | grep -zv '\.so$' | xargs -0 tar -cf -) | tar -xf - -C "$work"
cd "$work"
INVCODEC_SANITIZE=1 python setup.py -q build_ext --inplace >/dev/null 2>&1
nm -D invcodec/native/_kernel*.so | grep -q __asan_report || { echo "sanitize.sh: the build is not instrumented" >&2; exit 1; }
# Python itself is not instrumented: the runtimes go in first; leaks are Python's business
export LD_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# the copy's own command line and benchmarks too, under the names the install gives them
ln -s cli invcodec_cli && ln -s benchmarks invcodec_benchmarks
export PYTHONPATH="$work" OMP_NUM_THREADS=1
export GIT_DIR="$repo/.git" GIT_WORK_TREE="$work"  # the reports name the commit the copy was made from
python - <<'PY'
import os, invcodec.native, invcodec_benchmarks, invcodec_cli
for module in (invcodec.native, invcodec_benchmarks, invcodec_cli):  # the sanitized copy, not the installed checkout
    assert module.__file__.startswith(os.getcwd()), module.__file__
PY
python -m pytest -q -p no:cacheprovider tests/native tests/entropy/test_ans.py tests/runtime/test_autoregressive.py tests/runtime/test_int8.py tests/runtime/test_lifting.py tests/test_golden.py
for model in photo-v4 photo-v6 photo-v7; do
  python -c "import sys; from invcodec_benchmarks import fuzz; sys.exit(fuzz.main(['--model', '$model', '--cases', '$cases']))"
done
if [ -n "${HOSTILE_CASES:-}" ]; then
  # the suite exits 1 on any defect; a sanitizer report aborts its command, which it counts as one;
  # budgets are the plain run's business: an instrumented build is several times slower and heavier
  sample=(); [ "$HOSTILE_CASES" = all ] || sample=(--cases "$HOSTILE_CASES")
  python -c "import sys; from invcodec_benchmarks import hostile; sys.exit(hostile.main(sys.argv[1:]))" \
    "${sample[@]}" --memory-gb 0 --no-budgets --out "${HOSTILE_OUT:-$work/hostile.json}" | tail -20
fi
echo "sanitize.sh: no AddressSanitizer or UndefinedBehaviorSanitizer report"
