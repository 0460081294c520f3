"""What pyproject.toml cannot say: with RECOMMENDER_COMPILE=1 the wheel holds the engine's hot modules
(recommender/compiled.py) compiled with mypyc (requirements-build.txt; scripts/compile, the Dockerfile)."""

import os
import runpy

from setuptools import setup

ext_modules = []
if os.environ.get("RECOMMENDER_COMPILE") == "1":
    from mypyc.build import mypycify

    modules = runpy.run_path("recommender/compiled.py")["MODULES"]
    ext_modules = mypycify([f"recommender/{name}.py" for name in modules], group_name="recommender._compiled")
setup(ext_modules=ext_modules)
