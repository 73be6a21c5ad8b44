"""Installs the bcd Python package built by CMake (build/python/bcd), offline:

    cmake --build build            # builds bcd/_bcd*.so
    pip install --no-build-isolation ./python

BCD_BUILD_DIR names another build folder (default: ../build beside this file).
"""
import glob
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("BCD_BUILD_DIR", os.path.join(HERE, "..", "build"))


class build_with_extension(build_py):
    """Copies the CMake-built extension module beside the package's Python code."""

    def run(self):
        super().run()
        built = glob.glob(os.path.join(BUILD, "python", "bcd", "_bcd*.so"))
        if not built:
            raise SystemExit("bcd: no built extension in {}/python/bcd: run `cmake --build {}` first "
                             "(or set BCD_BUILD_DIR)".format(BUILD, BUILD))
        target = os.path.join(self.build_lib, "bcd")
        os.makedirs(target, exist_ok=True)
        for path in built:
            shutil.copy2(path, target)


setup(
    name="bcd",
    version="0.10.0",
    description="Tune neural networks, compile them into packages, run them on NumPy arrays",
    packages=["bcd"],
    cmdclass={"build_py": build_with_extension},
    python_requires=">=3.9",
    zip_safe=False,
)
