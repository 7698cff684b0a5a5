"""Builds the optional C extension; everything else is in pyproject.toml.

`optional=True`: when there is no C compiler (or the build fails), the install goes on
without it and loglake uses its pure-Python query shapes (formats/mongodb/shape.py) and
DuckDB's JSON functions for blocks of lines (formats/mongodb/json_block.py).

The extension is one module, `_shape`: query shapes (`_shape.c`) and the one-pass block
parser (`_block.c`) over the vendored yyjson (`vendor/yyjson`, MIT, its LICENSE beside it).
"""

from setuptools import Extension, setup

_HERE = "src/loglake/formats/mongodb"

setup(
    ext_modules=[
        Extension(
            "loglake.formats.mongodb._shape",
            sources=[f"{_HERE}/_shape.c", f"{_HERE}/_block.c", f"{_HERE}/vendor/yyjson/yyjson.c"],
            depends=[f"{_HERE}/_shape.h", f"{_HERE}/_columns.h", f"{_HERE}/vendor/yyjson/yyjson.h"],
            define_macros=[("YYJSON_DISABLE_WRITER", "1"), ("YYJSON_DISABLE_UTILS", "1")],
            optional=True,
        )
    ]
)
