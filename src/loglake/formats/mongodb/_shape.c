/* Query shapes in C: `shape_json_of(op, command)` is `shape_json(shape_of(op, command))` of
 * shape.py.
 *
 * An optional extension (setup.py builds it with `optional=True`); shape.py uses it when it
 * was built and falls back to its own Python otherwise. Each function below mirrors the
 * Python function of the same name in shape.py, rule for rule, but writes the shape's
 * compact JSON text straight into a buffer instead of building dicts and dumping them.
 * Equal shapes are compared by their text, which is exact here: inside `_runs` every dict
 * has sorted keys and no numbers, and `_statements` dedupes by `shape_json` text in Python too.
 *
 * Anything unusual (a string that is not valid UTF-8, such as a lone surrogate, a non-string
 * key, a failed allocation) makes them return None and the caller uses the Python
 * path, so the two paths always give the same text. tests/test_parity_compiled.py checks it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_shape.h"

#define MAX_DEPTH 50
#define MAX_STAGES 50

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buf;

/* Results of a normalizer: WROTE text, wrote NOTHING (Python's None), or FAIL (fall back). */
enum { WROTE = 0, NOTHING = 1, FAIL = -1 };

static int grow(Buf *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *data = PyMem_Realloc(b->data, (size_t)cap);
    if (data == NULL) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int put(Buf *b, const char *s, Py_ssize_t n) {
    if (grow(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

#define PUT(b, lit) put((b), (lit), (Py_ssize_t)(sizeof(lit) - 1))

/* A JSON string as orjson writes it: UTF-8, `"` `\` and control characters escaped. */
static int put_json_string(Buf *b, const char *s, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    if (grow(b, n + 2) < 0) return -1;
    b->data[b->len++] = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            if (grow(b, 1) < 0) return -1;
            b->data[b->len++] = (char)c;
            continue;
        }
        char esc[6];
        Py_ssize_t k = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\t': esc[1] = 't'; break;
        case '\n': esc[1] = 'n'; break;
        case '\f': esc[1] = 'f'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        if (put(b, esc, k) < 0) return -1;
    }
    if (grow(b, 1) < 0) return -1;
    b->data[b->len++] = '"';
    return 0;
}

/* A Python str written as JSON; FAIL (error cleared) when it has no UTF-8 form. */
static int put_str(Buf *b, PyObject *s) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) {
        PyErr_Clear();
        return FAIL;
    }
    return put_json_string(b, u, n) < 0 ? FAIL : WROTE;
}

static int put_placeholder(Buf *b) { return PUT(b, "\"?\"") < 0 ? FAIL : WROTE; }

/* `"key":` for a dict member; a comma first unless it is the first member. */
static int put_key(Buf *b, PyObject *key, int *first) {
    if (!*first && PUT(b, ",") < 0) return FAIL;
    *first = 0;
    return put_str(b, key) == WROTE && PUT(b, ":") == 0 ? WROTE : FAIL;
}

/* Whether `s` (a str) starts with the ASCII `prefix`. */
static int starts_with(PyObject *s, const char *prefix) {
    Py_ssize_t n = (Py_ssize_t)strlen(prefix);
    if (PyUnicode_GET_LENGTH(s) < n) return 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ(kind, data, i) != (Py_UCS4)(unsigned char)prefix[i]) return 0;
    }
    return 1;
}

static int is_str_starting(PyObject *s, const char *prefix) {
    return PyUnicode_Check(s) && starts_with(s, prefix);
}

/* Whether `s` is a str equal to the ASCII `text`: length and bytes for an ASCII str (the
 * usual case, and the hot path: every key is looked up in the tables below), CPython's
 * comparison otherwise. */
static int equals(PyObject *s, const char *text) {
    if (!PyUnicode_Check(s)) return 0;
    if (PyUnicode_IS_COMPACT_ASCII(s)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(s);
        const char *data = PyUnicode_DATA(s);
        if (n == 0) return text[0] == '\0';
        return data[0] == text[0] && (Py_ssize_t)strlen(text) == n &&
               memcmp(data, text, (size_t)n) == 0;
    }
    return PyUnicode_CompareWithASCIIString(s, text) == 0;
}

static int in_set(PyObject *key, const char *const *names) {
    for (; *names; names++) {
        if (equals(key, *names)) return 1;
    }
    return 0;
}

static const char *const EJSON[] = {
    "$oid", "$date", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal",
    "$uuid", "$binary", "$timestamp", "$minKey", "$maxKey", "$undefined", "$symbol",
    "$code", "$scope", "$dbPointer", "$regularExpression", "$ref", "$id", NULL};
static const char *const LOGICAL[] = {"$and", "$or", "$nor", NULL};
static const char *const FILTER_ONLY[] = {
    "$and", "$or", "$nor", "$expr", "$where", "$text", "$jsonSchema", NULL};
static const char *const LIST_OPERATORS[] = {"$in", "$nin", "$all", NULL};
static const char *const DROPPED_OPERATORS[] = {"$options", "$comment", NULL};
static const char *const SUB_QUERY_NAMES[] = {
    "as", "coll", "foreignField", "from", "localField", NULL};

/* The dict's keys, sorted as Python's `sorted(d)` sorts them; NULL (error cleared) when a
 * key is not a str. */
static PyObject *sorted_keys(PyObject *d) {
    PyObject *keys = PyDict_Keys(d);
    if (keys == NULL) goto fail;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(keys, i))) {
            Py_DECREF(keys);
            return NULL;
        }
    }
    if (PyList_Sort(keys) < 0) {
        Py_DECREF(keys);
        goto fail;
    }
    return keys;
fail:
    PyErr_Clear();
    return NULL;
}

static int any_key_in(PyObject *d, const char *const *names) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (in_set(key, names)) return 1;
    }
    return 0;
}

static int all_keys_operators(PyObject *d) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!is_str_starting(key, "$")) return 0;
    }
    return 1;
}

/* d[key] (borrowed) or NULL, for a literal key: each call site keeps its key as an interned
 * str with its hash, so a lookup makes no new string (PyDict_GetItemString would). */
#define get(d, key)                                                            \
    __extension__({                                                            \
        static PyObject *key_ = NULL;                                          \
        if (key_ == NULL) key_ = PyUnicode_InternFromString(key);              \
        key_ != NULL ? PyDict_GetItem((d), key_) : PyDict_GetItemString((d), (key)); \
    })

typedef int (*Normalizer)(Buf *, PyObject *, int);

static int filter_(Buf *b, PyObject *expr, int depth);
static int value_(Buf *b, PyObject *value, int depth);
static int expr_(Buf *b, PyObject *value, int depth);
static int pipeline_(Buf *b, PyObject *pipeline, int depth);
static int fields_(Buf *b, PyObject *doc, int depth);

/* Writes `{` key: normalize(d[key]) ... `}` over d's sorted keys. */
static int sorted_dict(Buf *b, PyObject *d, Normalizer normalize, int depth) {
    PyObject *keys = sorted_keys(d);
    if (keys == NULL) return FAIL;
    int first = 1, rc = PUT(b, "{") < 0 ? FAIL : WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        rc = put_key(b, key, &first);
        if (rc == WROTE) rc = normalize(b, PyDict_GetItem(d, key), depth);
    }
    Py_DECREF(keys);
    return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
}

static int filter_(Buf *b, PyObject *expr, int depth);

/* _runs: each item normalized, a run of equal results kept once. */
static int runs(Buf *b, Normalizer normalize, PyObject *items, int depth) {
    if (!PyList_Check(items) || depth > MAX_DEPTH) return put_placeholder(b);
    if (PUT(b, "[") < 0) return FAIL;
    Py_ssize_t last_start = -1, last_len = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        Py_ssize_t mark = b->len;
        if (last_start >= 0 && PUT(b, ",") < 0) return FAIL;
        Py_ssize_t start = b->len;
        if (normalize(b, PyList_GET_ITEM(items, i), depth + 1) != WROTE) return FAIL;
        Py_ssize_t len = b->len - start;
        if (last_start >= 0 && len == last_len &&
            memcmp(b->data + start, b->data + last_start, (size_t)len) == 0) {
            b->len = mark; /* equal to the one before: kept once */
            continue;
        }
        last_start = start;
        last_len = len;
    }
    return PUT(b, "]") < 0 ? FAIL : WROTE;
}

static int regex_(Buf *b, PyObject *pattern) {
    if (PyDict_Check(pattern)) {
        PyObject *inner = get(pattern, "$regularExpression");
        pattern = inner != NULL && PyDict_Check(inner) ? get(inner, "pattern") : NULL;
    }
    if (pattern != NULL && is_str_starting(pattern, "^") && !starts_with(pattern, "^.*")) {
        return PUT(b, "\"^?\"") < 0 ? FAIL : WROTE;
    }
    return put_placeholder(b);
}

static int filter_(Buf *b, PyObject *expr, int depth) {
    if (!PyDict_Check(expr) || depth > MAX_DEPTH) return put_placeholder(b);
    PyObject *keys = sorted_keys(expr);
    if (keys == NULL) return FAIL;
    int first = 1, rc = PUT(b, "{") < 0 ? FAIL : WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        PyObject *value = PyDict_GetItem(expr, key);
        if (!starts_with(key, "$")) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = value_(b, value, depth + 1);
        } else if (in_set(key, LOGICAL)) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = runs(b, filter_, value, depth + 1);
        } else if (equals(key, "$expr")) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = expr_(b, value, depth + 1);
        } else if (!equals(key, "$comment")) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = put_placeholder(b);
        }
    }
    Py_DECREF(keys);
    return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
}

static int elem_match(Buf *b, PyObject *arg, int depth) {
    if (!PyDict_Check(arg) || depth > MAX_DEPTH) return put_placeholder(b);
    if (PyDict_GET_SIZE(arg) == 0) return PUT(b, "{}") < 0 ? FAIL : WROTE;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(arg, &pos, &key, &value)) {
        if (!is_str_starting(key, "$") || in_set(key, FILTER_ONLY)) return filter_(b, arg, depth);
    }
    return value_(b, arg, depth);
}

static int value_(Buf *b, PyObject *value, int depth) {
    if (!PyDict_Check(value) || PyDict_GET_SIZE(value) == 0 || depth > MAX_DEPTH) {
        return put_placeholder(b);
    }
    if (get(value, "$regularExpression") != NULL) {
        if (PUT(b, "{\"$regex\":") < 0 || regex_(b, value) != WROTE || PUT(b, "}") < 0) {
            return FAIL;
        }
        return WROTE;
    }
    if (any_key_in(value, EJSON) || !all_keys_operators(value)) return put_placeholder(b);
    PyObject *keys = sorted_keys(value);
    if (keys == NULL) return FAIL;
    Py_ssize_t start = b->len;
    int first = 1, rc = PUT(b, "{") < 0 ? FAIL : WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < PyList_GET_SIZE(keys); i++) {
        PyObject *op = PyList_GET_ITEM(keys, i);
        PyObject *arg = PyDict_GetItem(value, op);
        if (in_set(op, LIST_OPERATORS)) {
            rc = put_key(b, op, &first);
            if (rc != WROTE) break;
            if (!PyList_Check(arg)) rc = put_placeholder(b);
            else if (PyList_GET_SIZE(arg)) rc = PUT(b, "[\"?\"]") < 0 ? FAIL : WROTE;
            else rc = PUT(b, "[]") < 0 ? FAIL : WROTE;
        } else if (equals(op, "$regex")) {
            rc = put_key(b, op, &first);
            if (rc == WROTE) rc = regex_(b, arg);
        } else if (equals(op, "$not")) {
            rc = put_key(b, op, &first);
            if (rc == WROTE) rc = value_(b, arg, depth + 1);
        } else if (equals(op, "$elemMatch")) {
            rc = put_key(b, op, &first);
            if (rc == WROTE) rc = elem_match(b, arg, depth + 1);
        } else if (!in_set(op, DROPPED_OPERATORS)) {
            rc = put_key(b, op, &first);
            if (rc == WROTE) rc = put_placeholder(b);
        }
    }
    Py_DECREF(keys);
    if (rc != WROTE) return FAIL;
    if (first) { /* `out or PLACEHOLDER`: nothing kept */
        b->len = start;
        return put_placeholder(b);
    }
    return PUT(b, "}") < 0 ? FAIL : WROTE;
}

static int expr_(Buf *b, PyObject *value, int depth) {
    if (depth > MAX_DEPTH) return put_placeholder(b);
    if (PyUnicode_Check(value)) return starts_with(value, "$") ? put_str(b, value) : put_placeholder(b);
    if (PyList_Check(value)) return runs(b, expr_, value, depth);
    if (PyDict_Check(value) && PyDict_GET_SIZE(value) && get(value, "$literal") == NULL &&
        !any_key_in(value, EJSON)) {
        return sorted_dict(b, value, expr_, depth + 1);
    }
    return put_placeholder(b);
}

static int direction(Buf *b, PyObject *value) {
    if (PyBool_Check(value)) return put_placeholder(b);
    if (PyLong_Check(value) || PyFloat_Check(value)) {
        PyObject *zero = PyLong_FromLong(0);
        if (zero == NULL) return FAIL;
        int negative = PyObject_RichCompareBool(value, zero, Py_LT);
        Py_DECREF(zero);
        if (negative < 0) {
            PyErr_Clear();
            return FAIL;
        }
        return (negative ? PUT(b, "-1") : PUT(b, "1")) < 0 ? FAIL : WROTE;
    }
    if (PyUnicode_Check(value)) return put_str(b, value);
    if (PyDict_Check(value)) {
        PyObject *meta = get(value, "$meta");
        if (meta != NULL) {
            if (PUT(b, "{\"$meta\":") < 0) return FAIL;
            int rc = PyUnicode_Check(meta) ? put_str(b, meta) : put_placeholder(b);
            return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
        }
    }
    return put_placeholder(b);
}

static int ordered_keys(Buf *b, PyObject *spec, int depth) {
    (void)depth;
    if (!PyDict_Check(spec)) return put_placeholder(b);
    if (PUT(b, "{") < 0) return FAIL;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    int first = 1;
    while (PyDict_Next(spec, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) return FAIL;
        if (put_key(b, key, &first) != WROTE || direction(b, value) != WROTE) return FAIL;
    }
    return PUT(b, "}") < 0 ? FAIL : WROTE;
}

static int hint_(Buf *b, PyObject *hint, int depth) {
    PyObject *inner;
    while (PyDict_Check(hint) && (inner = get(hint, "$hint")) != NULL) hint = inner;
    return PyUnicode_Check(hint) ? put_str(b, hint) : ordered_keys(b, hint, depth);
}

/* `{name: 1, ...}` over the sorted, distinct str names of a list. */
static int names_with_one(Buf *b, PyObject *names) {
    Py_ssize_t n = PyList_GET_SIZE(names);
    if (PUT(b, "{") < 0) return FAIL;
    PyObject *previous = NULL;
    int first = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (previous != NULL) {
            int same = PyUnicode_Compare(previous, name);
            if (same == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                return FAIL;
            }
            if (same == 0) continue;
        }
        previous = name;
        if (put_key(b, name, &first) != WROTE || PUT(b, "1") < 0) return FAIL;
    }
    return PUT(b, "}") < 0 ? FAIL : WROTE;
}

static int keys_only(Buf *b, PyObject *spec, int depth) {
    (void)depth;
    if (PyUnicode_Check(spec)) return put_str(b, spec);
    PyObject *names;
    if (PyList_Check(spec)) {
        names = PyList_New(0);
        if (names == NULL) goto fail;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(spec); i++) {
            PyObject *name = PyList_GET_ITEM(spec, i);
            if (PyUnicode_Check(name) && PyList_Append(names, name) < 0) {
                Py_DECREF(names);
                goto fail;
            }
        }
        if (PyList_Sort(names) < 0) {
            Py_DECREF(names);
            goto fail;
        }
    } else if (PyDict_Check(spec)) {
        names = sorted_keys(spec);
        if (names == NULL) return FAIL;
    } else {
        return put_placeholder(b);
    }
    int rc = names_with_one(b, names);
    Py_DECREF(names);
    return rc;
fail:
    PyErr_Clear();
    return FAIL;
}

static int name_(Buf *b, PyObject *value, int depth) {
    (void)depth;
    return PyUnicode_Check(value) ? put_str(b, value) : put_placeholder(b);
}

static int literal_(Buf *b, PyObject *value, int depth) {
    (void)value;
    (void)depth;
    return put_placeholder(b);
}

static int flag_(Buf *b, PyObject *value, int depth) {
    (void)depth;
    if (value != Py_True) return NOTHING;
    return PUT(b, "true") < 0 ? FAIL : WROTE;
}

static int placeholders_of(Buf *b, PyObject *fields, int depth) {
    (void)depth;
    if (!PyDict_Check(fields)) return put_placeholder(b);
    return sorted_dict(b, fields, literal_, 0);
}

static int update_(Buf *b, PyObject *update, int depth) {
    if (PyList_Check(update)) return pipeline_(b, update, depth);
    if (PyDict_Check(update) && PyDict_GET_SIZE(update) && all_keys_operators(update)) {
        return sorted_dict(b, update, placeholders_of, depth);
    }
    return put_placeholder(b);
}

static int sub_query(Buf *b, PyObject *spec, int depth) {
    if (!PyDict_Check(spec)) return name_(b, spec, depth);
    PyObject *keys = sorted_keys(spec);
    if (keys == NULL) return FAIL;
    int first = 1, rc = PUT(b, "{") < 0 ? FAIL : WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        PyObject *value = PyDict_GetItem(spec, key);
        if (equals(key, "pipeline")) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = pipeline_(b, value, depth + 1);
        } else if (in_set(key, SUB_QUERY_NAMES)) {
            rc = put_key(b, key, &first);
            if (rc == WROTE) rc = name_(b, value, depth);
        }
    }
    Py_DECREF(keys);
    return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
}

static int unwind_(Buf *b, PyObject *spec, int depth) {
    if (PyDict_Check(spec)) {
        PyObject *path = get(spec, "path");
        return path != NULL ? name_(b, path, depth) : put_placeholder(b);
    }
    return name_(b, spec, depth);
}

static int facet_pipeline(Buf *b, PyObject *value, int depth) {
    return pipeline_(b, value, depth);
}

static int facet_(Buf *b, PyObject *spec, int depth) {
    if (!PyDict_Check(spec)) return put_placeholder(b);
    return sorted_dict(b, spec, facet_pipeline, depth + 1);
}

static Normalizer stage_handler(PyObject *name) {
    static const struct {
        const char *name;
        Normalizer normalize;
    } stages[] = {
        {"$match", filter_},      {"$sort", ordered_keys},   {"$project", keys_only},
        {"$addFields", keys_only}, {"$set", keys_only},       {"$unset", keys_only},
        {"$unwind", unwind_},     {"$lookup", sub_query},    {"$unionWith", sub_query},
        {"$facet", facet_},       {"$group", expr_},         {"$sortByCount", expr_},
        {"$replaceRoot", expr_},  {"$replaceWith", expr_},   {NULL, NULL}};
    for (int i = 0; stages[i].name; i++) {
        if (equals(name, stages[i].name)) return stages[i].normalize;
    }
    return NULL;
}

static int stage_(Buf *b, PyObject *stage, int depth) {
    if (!PyDict_Check(stage) || PyDict_GET_SIZE(stage) == 0 || depth > MAX_DEPTH) {
        return put_placeholder(b);
    }
    PyObject *name, *arg;
    Py_ssize_t pos = 0;
    PyDict_Next(stage, &pos, &name, &arg); /* the first key */
    if (!PyUnicode_Check(name)) return FAIL;
    Normalizer handler = stage_handler(name);
    if (handler == NULL && !starts_with(name, "$")) return put_placeholder(b);
    int first = 1;
    if (PUT(b, "{") < 0 || put_key(b, name, &first) != WROTE) return FAIL;
    int rc = handler == NULL ? put_placeholder(b) : handler(b, arg, depth + 1);
    return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
}

static int pipeline_(Buf *b, PyObject *pipeline, int depth) {
    if (!PyList_Check(pipeline) || depth > MAX_DEPTH) return put_placeholder(b);
    Py_ssize_t n = PyList_GET_SIZE(pipeline);
    if (n > MAX_STAGES) n = MAX_STAGES;
    if (PUT(b, "[") < 0) return FAIL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i && PUT(b, ",") < 0) return FAIL;
        if (stage_(b, PyList_GET_ITEM(pipeline, i), depth + 1) != WROTE) return FAIL;
    }
    return PUT(b, "]") < 0 ? FAIL : WROTE;
}

/* _statements: a write batch's distinct statement shapes, in the order first seen. */
static int statements_(Buf *b, PyObject *statements, int depth) {
    if (!PyList_Check(statements) || depth > MAX_DEPTH) return put_placeholder(b);
    if (PUT(b, "[") < 0) return FAIL;
    Py_ssize_t n = PyList_GET_SIZE(statements), kept = 0;
    Py_ssize_t *spans = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)(n ? n : 1));
    if (spans == NULL) return FAIL;
    int rc = WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < n; i++) {
        PyObject *statement = PyList_GET_ITEM(statements, i);
        Py_ssize_t mark = b->len;
        if (kept && PUT(b, ",") < 0) {
            rc = FAIL;
            break;
        }
        Py_ssize_t start = b->len;
        rc = PyDict_Check(statement) ? fields_(b, statement, depth + 1) : put_placeholder(b);
        if (rc != WROTE) break;
        Py_ssize_t len = b->len - start;
        int seen = 0;
        for (Py_ssize_t k = 0; k < kept && !seen; k++) {
            seen = spans[2 * k + 1] == len &&
                   memcmp(b->data + spans[2 * k], b->data + start, (size_t)len) == 0;
        }
        if (seen) {
            b->len = mark;
            continue;
        }
        spans[2 * kept] = start;
        spans[2 * kept + 1] = len;
        kept++;
    }
    PyMem_Free(spans);
    return rc == WROTE && PUT(b, "]") == 0 ? WROTE : FAIL;
}

static int indexes_(Buf *b, PyObject *keys, int depth) {
    if (!PyList_Check(keys)) return put_placeholder(b);
    if (PUT(b, "[") < 0) return FAIL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        if (i && PUT(b, ",") < 0) return FAIL;
        if (ordered_keys(b, PyList_GET_ITEM(keys, i), depth + 1) != WROTE) return FAIL;
    }
    return PUT(b, "]") < 0 ? FAIL : WROTE;
}

static Normalizer field_normalizer(PyObject *key) {
    static const struct {
        const char *name;
        Normalizer normalize;
    } fields[] = {
        {"deletes", statements_}, {"filter", filter_},    {"hint", hint_},
        {"indexes", indexes_},    {"key", name_},         {"limit", literal_},
        {"multi", flag_},         {"new", flag_},         {"pipeline", pipeline_},
        {"projection", keys_only}, {"q", filter_},        {"query", filter_},
        {"remove", flag_},        {"skip", literal_},     {"sort", ordered_keys},
        {"u", update_},           {"update", update_},    {"updates", statements_},
        {"upsert", flag_},        {NULL, NULL}};
    for (int i = 0; fields[i].name; i++) {
        if (equals(key, fields[i].name)) return fields[i].normalize;
    }
    return NULL;
}

static int fields_(Buf *b, PyObject *doc, int depth) {
    PyObject *keys = sorted_keys(doc);
    if (keys == NULL) return FAIL;
    int first = 1, rc = PUT(b, "{") < 0 ? FAIL : WROTE;
    for (Py_ssize_t i = 0; rc == WROTE && i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        Normalizer normalize = field_normalizer(key);
        PyObject *raw = PyDict_GetItem(doc, key);
        if (normalize == NULL || raw == Py_None) continue;
        Py_ssize_t mark = b->len;
        int was_first = first;
        rc = put_key(b, key, &first);
        if (rc != WROTE) break;
        Py_ssize_t start = b->len;
        rc = normalize(b, raw, depth + 1);
        Py_ssize_t len = b->len - start;
        if (rc == NOTHING || (rc == WROTE && len == 2 &&
                              (memcmp(b->data + start, "{}", 2) == 0 ||
                               memcmp(b->data + start, "[]", 2) == 0))) {
            b->len = mark; /* `value not in (None, {}, [])`: left out */
            first = was_first;
            rc = WROTE;
        }
    }
    Py_DECREF(keys);
    return rc == WROTE && PUT(b, "}") == 0 ? WROTE : FAIL;
}

/* The parts of a command that make its shape, under their shape field names (`_parts`):
 * for each (key, value) in command order whose key is in `names`, parts[shape] = value. */
static PyObject *mapped(PyObject *command, const char *const *names) {
    PyObject *parts = PyDict_New();
    if (parts == NULL) return NULL;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(command, &pos, &key, &value)) {
        for (const char *const *n = names; *n; n += 2) {
            if (equals(key, n[0])) {
                if (PyDict_SetItemString(parts, n[1], value) < 0) {
                    Py_DECREF(parts);
                    return NULL;
                }
                break;
            }
        }
    }
    return parts;
}

static PyObject *one_item(const char *key, PyObject *value) {
    PyObject *parts = PyDict_New();
    if (parts != NULL && PyDict_SetItemString(parts, key, value) < 0) Py_CLEAR(parts);
    return parts;
}

#define has(d, key) (get((d), key) != NULL) /* key: a literal, as for get() */

static const char *const FIND_PARTS[] = {
    "filter", "filter", "sort", "sort", "projection", "projection", "limit", "limit",
    "skip", "skip", "hint", "hint", NULL};
static const char *const AGGREGATE_PARTS[] = {"pipeline", "pipeline", "hint", "hint", NULL};
static const char *const COUNT_PARTS[] = {
    "query", "query", "limit", "limit", "skip", "skip", "hint", "hint", NULL};
static const char *const DISTINCT_PARTS[] = {"key", "key", "query", "query", NULL};
static const char *const UPDATE_PARTS[] = {"updates", "updates", NULL};
static const char *const DELETE_PARTS[] = {"deletes", "deletes", NULL};
static const char *const FIND_AND_MODIFY_PARTS[] = {
    "query", "query", "sort", "sort", "update", "update", "remove", "remove", "upsert",
    "upsert", "new", "new", "hint", "hint", "fields", "projection", NULL};
static const char *const LEGACY_FIND[] = {
    "$query", "filter", "query", "filter", "$orderby", "sort", "orderby", "sort",
    "$hint", "hint", "hint", "hint", NULL};
static const char *const NO_PARTS[] = {NULL};

/* `_parts(op, command)` of shape.py; command is a dict. */
static PyObject *parts_(PyObject *op, PyObject *command) {
    const char *const *names = NO_PARTS;
    if (equals(op, "find") && !has(command, "find") && !has(command, "filter")) {
        if (!has(command, "$query") && !(has(command, "query") && has(command, "orderby"))) {
            return one_item("filter", command); /* a legacy log's bare query document */
        }
        names = LEGACY_FIND;
    } else if ((equals(op, "update") || equals(op, "delete")) && has(command, "q") &&
               !(equals(op, "update") ? has(command, "updates") : has(command, "deletes"))) {
        PyObject *batch = PyList_New(1);
        if (batch == NULL) return NULL;
        Py_INCREF(command);
        PyList_SET_ITEM(batch, 0, command);
        PyObject *parts = one_item(equals(op, "update") ? "updates" : "deletes", batch);
        Py_DECREF(batch);
        return parts;
    } else if (equals(op, "createIndexes")) {
        PyObject *indexes = get(command, "indexes");
        if (indexes == NULL) return one_item("indexes", Py_None);
        if (!PyList_Check(indexes)) return one_item("indexes", indexes);
        Py_ssize_t n = PyList_GET_SIZE(indexes);
        PyObject *keys = PyList_New(n);
        if (keys == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *index = PyList_GET_ITEM(indexes, i);
            PyObject *key = PyDict_Check(index) ? get(index, "key") : NULL;
            key = key != NULL ? key : Py_None;
            Py_INCREF(key);
            PyList_SET_ITEM(keys, i, key);
        }
        PyObject *parts = one_item("indexes", keys);
        Py_DECREF(keys);
        return parts;
    } else if (equals(op, "find")) {
        names = FIND_PARTS;
    } else if (equals(op, "aggregate")) {
        names = AGGREGATE_PARTS;
    } else if (equals(op, "count")) {
        names = COUNT_PARTS;
    } else if (equals(op, "distinct")) {
        names = DISTINCT_PARTS;
    } else if (equals(op, "update")) {
        names = UPDATE_PARTS;
    } else if (equals(op, "delete")) {
        names = DELETE_PARTS;
    } else if (equals(op, "findAndModify")) {
        names = FIND_AND_MODIFY_PARTS;
    }
    return mapped(command, names);
}

/* `canonical_op(command, None)` of shape.py, as a new str; command is a dict. */
static PyObject *origin_op(PyObject *command) {
    static const char *const commands[] = {
        "find", "find", "aggregate", "aggregate", "count", "count", "distinct", "distinct",
        "update", "update", "delete", "delete", "insert", "insert", "findAndModify",
        "findAndModify", "findandmodify", "findAndModify", "getMore", "getMore", "getmore",
        "getMore", "$query", "find", NULL};
    PyObject *first, *value;
    Py_ssize_t pos = 0;
    if (!PyDict_Next(command, &pos, &first, &value) || !PyUnicode_Check(first)) {
        return PyUnicode_FromString("command");
    }
    for (const char *const *n = commands; *n; n += 2) {
        if (equals(first, n[0])) return PyUnicode_FromString(n[1]);
    }
    if (PyUnicode_GET_LENGTH(first) && !starts_with(first, "$")) {
        Py_INCREF(first);
        return first;
    }
    return PyUnicode_FromString("command");
}

/* `_shape_parts(op, command)` of shape.py, as a new dict (NULL on error). */
static PyObject *shape_parts(PyObject *op, PyObject *command) {
    if (!PyDict_Check(command)) return PyDict_New();
    if (equals(op, "getMore")) {
        PyObject *origin = origin_op(command);
        if (origin == NULL) return NULL;
        PyObject *parts = equals(origin, "getMore") ? PyDict_New() : shape_parts(origin, command);
        Py_DECREF(origin);
        return parts;
    }
    return parts_(op, command);
}

static PyObject *text_of(PyObject *parts) {
    Buf b = {NULL, 0, 0};
    int rc = fields_(&b, parts, 0);
    PyObject *text = NULL;
    if (rc == WROTE) text = PyUnicode_DecodeUTF8(b.data, b.len, NULL);
    PyMem_Free(b.data);
    if (text != NULL) return text;
    PyErr_Clear();
    Py_RETURN_NONE;
}

int loglake_shape_text(PyObject *op, PyObject *command, char **data, Py_ssize_t *len) {
    *data = NULL;
    *len = 0;
    PyObject *parts = PyUnicode_Check(op) ? shape_parts(op, command) : NULL;
    if (parts == NULL) {
        PyErr_Clear();
        return -1;
    }
    Buf b = {NULL, 0, 0};
    int rc = fields_(&b, parts, 0);
    Py_DECREF(parts);
    if (rc != WROTE) {
        PyMem_Free(b.data);
        PyErr_Clear();
        return -1;
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

static PyObject *shape_json_of(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyUnicode_Check(args[0])) Py_RETURN_NONE;
    PyObject *parts = shape_parts(args[0], args[1]);
    if (parts == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    PyObject *text = text_of(parts);
    Py_DECREF(parts);
    return text;
}

static PyMethodDef methods[] = {
    {"shape_json_of", (PyCFunction)(void (*)(void))shape_json_of, METH_FASTCALL,
     "shape_json(shape_of(op, command)) of shape.py, or None when Python must decide."},
    {"parse_block", (PyCFunction)(void (*)(void))loglake_parse_block, METH_FASTCALL,
     "parse_block(block, base, max_line): one JSON pass over a block of lines (_block.c)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_shape",
                                    "Query shapes in C (see shape.py).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__shape(void) { return PyModule_Create(&module); }
