"""Builds invcodec's native kernel (invcodec/native/*.c); everything else is in pyproject.toml.

INVCODEC_SANITIZE=1 builds it with AddressSanitizer and UndefinedBehaviorSanitizer
(benchmarks/sanitize.sh)."""

import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError

NATIVE = Path("invcodec", "native")


class BuildKernel(build_ext):
    def run(self) -> None:
        try:
            super().run()
        except (CCompilerError, BaseError, OSError) as error:  # no compiler, or one that fails: one line
            raise SystemExit(f"invcodec needs a C compiler (gcc, clang or MSVC) to build its native kernel: {error}") from None

    def build_extensions(self) -> None:
        if self.compiler.compiler_type != "msvc":
            flags = ["-std=c99", "-O3", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
            if os.environ.get("INVCODEC_SANITIZE") == "1":
                flags += ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
                for ext in self.extensions:
                    ext.extra_link_args += ["-fsanitize=address,undefined"]
            for ext in self.extensions:
                ext.extra_compile_args += flags
        super().build_extensions()


setup(
    ext_modules=[Extension("invcodec.native._kernel", sources=[str(p) for p in sorted(NATIVE.glob("*.c"))],
                           depends=[str(p) for p in sorted(NATIVE.glob("*.h"))])],
    cmdclass={"build_ext": BuildKernel},
)
