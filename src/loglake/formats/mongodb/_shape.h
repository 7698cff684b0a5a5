/* What _shape.c and _block.c share (both are compiled into the one extension `_shape`). */
#ifndef LOGLAKE_SHAPE_H
#define LOGLAKE_SHAPE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The shape text of (op, command) as `shape_json_of` makes it, into a fresh PyMem buffer
 * (*data, *len; the caller frees it with PyMem_Free); -1 (no exception set) when Python
 * must decide. */
int loglake_shape_text(PyObject *op, PyObject *command, char **data, Py_ssize_t *len);

/* `parse_block(block, base, max_line)` of the module (_block.c). */
PyObject *loglake_parse_block(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
