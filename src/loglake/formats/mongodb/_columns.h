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

/* Appends bit `i` (the next one) to a bitmap that grows a byte at a time. */
static inline int bit_put(Mem *m, int64_t i, int on) {
    if ((i & 7) == 0) {
        if (m->len == m->cap && mem_reserve(m, 1) < 0) return -1;
        m->p[m->len++] = 0;
    }
    if (on) m->p[i >> 3] |= (char)(1 << (i & 7));
    return 0;
}

/* Appends a fixed-size value (8 or 4 bytes; zeros for a null). */
static inline int fixed_put(Mem *m, const void *value, size_t size) {
    if (m->len + 8 > m->cap && mem_reserve(m, 8) < 0) return -1;
    if (size == 8) memcpy(m->p + m->len, value, 8);
    else memcpy(m->p + m->len, value, 4);
    m->len += size;
    return 0;
}

static inline int col_done(Col *c, int valid) {
    if (bit_put(&c->valid, c->n, valid) < 0) return -1;
    c->n++;
    c->nulls += !valid;
    return 0;
}

static inline int col_null(Col *c) {
    static const char zeros[8] = {0};
    int rc = 0;
    if (c->kind == K_BOOL) {
        rc = bit_put(&c->data, c->n, 0);
    } else if (c->kind == K_STR) {
        int32_t end = (int32_t)c->data.len;
        rc = fixed_put(&c->offsets, &end, 4);
    } else {
        rc = fixed_put(&c->data, zeros, c->kind == K_I32 ? 4 : 8);
    }
    return rc < 0 ? -1 : col_done(c, 0);
}

static inline int col_i64(Col *c, int64_t v) {
    return fixed_put(&c->data, &v, 8) < 0 ? -1 : col_done(c, 1);
}

static inline int col_i32(Col *c, int32_t v) {
    return fixed_put(&c->data, &v, 4) < 0 ? -1 : col_done(c, 1);
}

static inline int col_f64(Col *c, double v) {
    return fixed_put(&c->data, &v, 8) < 0 ? -1 : col_done(c, 1);
}

static inline int col_bool(Col *c, int on) {
    return bit_put(&c->data, c->n, on) < 0 ? -1 : col_done(c, 1);
}

static inline int col_str(Col *c, const char *s, size_t n) {
    if (n > (size_t)INT32_MAX - c->data.len || mem_put(&c->data, s, n) < 0) return -1;
    int32_t end = (int32_t)c->data.len;
    return fixed_put(&c->offsets, &end, 4) < 0 ? -1 : col_done(c, 1);
}

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
