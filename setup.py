"""Builds the optional C extension; everything else is in pyproject.toml.

`optional=True`: when there is no C compiler (or the build fails), the install goes on
without it and loglake uses its pure-Python query shapes (formats/mongodb/shape.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "loglake.formats.mongodb._shape",
            sources=["src/loglake/formats/mongodb/_shape.c"],
            optional=True,
        )
    ]
)
