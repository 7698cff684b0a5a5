/* Arrow columns built in C: a validity bitmap, values (or offsets + UTF-8 bytes), a null
 * count. `col_export` hands each buffer to Python as bytes; json_block_c.py wraps them
 * with `pa.Array.from_buffers` (no copy, no Python object per value). */
#ifndef LOGLAKE_COLUMNS_H
#define LOGLAKE_COLUMNS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { K_I64, K_I32, K_F64, K_BOOL, K_STR };

typedef struct {
    char *p;
    size_t len, cap;
} Mem;

typedef struct {
    int kind;
    Mem data, offsets, valid;
    int64_t n, nulls;
} Col;

static int mem_reserve(Mem *m, size_t extra) {
    if (m->len + extra <= m->cap) return 0;
    size_t cap = m->cap ? m->cap : 4096;
    while (cap < m->len + extra) cap *= 2;
    char *p = realloc(m->p, cap);
    if (p == NULL) return -1;
    m->p = p;
    m->cap = cap;
    return 0;
}

static int mem_put(Mem *m, const void *s, size_t n) {
    if (mem_reserve(m, n) < 0) return -1;
    memcpy(m->p + m->len, s, n);
    m->len += n;
    return 0;
}

static void col_init(Col *c, int kind) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    if (kind == K_STR) {
        int32_t zero = 0;
        (void)mem_put(&c->offsets, &zero, sizeof zero); /* checked by col_ok */
    }
}

static int col_ok(const Col *c) { return c->kind != K_STR || c->offsets.len >= 4; }

static void col_free(Col *c) {
    free(c->data.p);
    free(c->offsets.p);
    free(c->valid.p);
    memset(c, 0, sizeof *c);
}

/* Sets bit `i` of a bitmap that grows a byte at a time (new bytes start at 0). */
static int bit_put(Mem *m, int64_t i, int on) {
    size_t byte = (size_t)(i >> 3);
    if (byte >= m->len) {
        if (mem_reserve(m, 1) < 0) return -1;
        m->p[m->len++] = 0;
    }
    if (on) m->p[byte] |= (char)(1 << (i & 7));
    return 0;
}

/* Appends one slot: valid (with `value` of `size` bytes, or a bool in `on`) or null. */
static int col_slot(Col *c, int valid, const void *value, size_t size, int on) {
    if (bit_put(&c->valid, c->n, valid) < 0) return -1;
    if (c->kind == K_BOOL) {
        if (bit_put(&c->data, c->n, valid && on) < 0) return -1;
    } else if (c->kind == K_STR) {
        if (valid && size > (size_t)INT32_MAX - c->data.len) return -1;
        if (valid && mem_put(&c->data, value, size) < 0) return -1;
        int32_t end = (int32_t)c->data.len;
        if (mem_put(&c->offsets, &end, sizeof end) < 0) return -1;
    } else {
        static const char zeros[8] = {0};
        if (mem_put(&c->data, valid ? value : zeros, size) < 0) return -1;
    }
    c->n++;
    if (!valid) c->nulls++;
    return 0;
}

static int col_null(Col *c) {
    size_t size = c->kind == K_I32 ? 4 : 8;
    return col_slot(c, 0, NULL, size, 0);
}

static int col_i64(Col *c, int64_t v) { return col_slot(c, 1, &v, sizeof v, 0); }

static int col_i32(Col *c, int32_t v) { return col_slot(c, 1, &v, sizeof v, 0); }

static int col_f64(Col *c, double v) { return col_slot(c, 1, &v, sizeof v, 0); }

static int col_bool(Col *c, int on) { return col_slot(c, 1, NULL, 0, on); }

static int col_str(Col *c, const char *s, size_t n) { return col_slot(c, 1, s, n, 0); }

static PyObject *mem_bytes(const Mem *m) {
    return PyBytes_FromStringAndSize(m->p ? m->p : "", (Py_ssize_t)m->len);
}

/* (length, null_count, validity, data, offsets or None) for json_block_c.py. */
static PyObject *col_export(const Col *c) {
    PyObject *valid = mem_bytes(&c->valid), *data = mem_bytes(&c->data);
    PyObject *offsets = c->kind == K_STR ? mem_bytes(&c->offsets) : Py_NewRef(Py_None);
    PyObject *out = NULL;
    if (valid && data && offsets) {
        out = Py_BuildValue("(LLOOO)", (long long)c->n, (long long)c->nulls, valid, data, offsets);
    }
    Py_XDECREF(valid);
    Py_XDECREF(data);
    Py_XDECREF(offsets);
    return out;
}

#endif
