/* One JSON pass per line in C: `parse_block(block, base, max_line)` reads a block of mongod
 * JSON log lines with yyjson (vendor/yyjson, MIT) and builds the `events`, `slow_queries`,
 * `authentications` and `connections` columns as Arrow buffers (_columns.h), query shapes
 * included (the rules of _shape.c, applied to the command's shape fields only, made Python
 * objects once). It returns (lines, fallback, {stream: {column: buffers}}).
 *
 * It mirrors the per-line parser (json_line.py) rule for rule for the lines it is sure of;
 * any line it is not sure of (invalid JSON, not UTF-8, a timestamp in another form, a value
 * of an odd type, a duplicate key, deep nesting, big numbers) goes back to Python in the
 * `fallback` list and the per-line parser decides, so both paths give the same rows
 * (tests/test_parity_block_c.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_columns.h"
#include "_shape.h"
#include "vendor/yyjson/yyjson.h"

#define SLOW_QUERY 51803
#define MESSAGE_LIMIT 4096 /* code points, as json_line._MESSAGE_LIMIT */
#define DEEP 200           /* nesting that Python's parsers may refuse: Python decides */
#define HASH_CACHE_LIMIT 100000

typedef struct {
    const char *s;
    size_t n;
} Str;

static int str_is(Str s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.s, lit, n) == 0;
}

static Str str_of(yyjson_val *v) { return (Str){yyjson_get_str(v), yyjson_get_len(v)}; }

/* Names with their lengths known at compile time: key lookups compare lengths first. */
#define NAME(lit) {lit, sizeof(lit) - 1}

static int name_index(Str k, const Str *names, int count) {
    for (int i = 0; i < count; i++) {
        if (names[i].n == k.n && names[i].s[0] == k.s[0] && memcmp(names[i].s, k.s, k.n) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- columns ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int kind;
} ColSpec;

enum { E_OFFSET, E_LENGTH, E_TS, E_DAY, E_SEVERITY, E_COMPONENT, E_MSG_ID, E_CONTEXT,
       E_MESSAGE, E_USER, E_LEVEL, E_DURATION, E_COUNT };
static const ColSpec EVENT_COLS[E_COUNT] = {
    {"file_offset", K_I64}, {"line_length", K_I64}, {"ts", K_I64},      {"day", K_I64},
    {"severity", K_STR},    {"component", K_STR},   {"msg_id", K_I64},  {"context", K_STR},
    {"message", K_STR},     {"user", K_STR},        {"level", K_STR},   {"duration_ms", K_F64}};

enum { S_OFFSET, S_LENGTH, S_TS, S_DAY, S_DB, S_COLLECTION, S_NAMESPACE, S_OP, S_OP_TYPE,
       S_CLIENT_IP, S_CLIENT_PORT, S_CONNECTION_ID, S_BYTES_READ, S_TIME_READING, S_PLAN,
       S_SHAPE, S_SHAPE_HASH, S_TRUNCATED, S_FULL_SCAN, S_IS_SYSTEM,
       S_ATTR /* the columns read straight from attributes follow, as in ATTRS */ };

/* attr key -> slow_queries column and how json_line.slow_query_row reads it */
enum { A_INT, A_STR, A_BOOL, A_FLOAT };
typedef struct {
    const char *key, *column;
    int how, kind;
} AttrSpec;
static const AttrSpec ATTRS[] = {
    {"docsExamined", "docs_examined", A_INT, K_I64},
    {"keysExamined", "keys_examined", A_INT, K_I64},
    {"nreturned", "nreturned", A_INT, K_I64},
    {"nMatched", "nmatched", A_INT, K_I64},
    {"nModified", "nmodified", A_INT, K_I64},
    {"ninserted", "ninserted", A_INT, K_I64},
    {"ndeleted", "ndeleted", A_INT, K_I64},
    {"keysInserted", "keys_inserted", A_INT, K_I64},
    {"keysDeleted", "keys_deleted", A_INT, K_I64},
    {"reslen", "reslen", A_INT, K_I64},
    {"numYields", "num_yields", A_INT, K_I64},
    {"writeConflicts", "write_conflicts", A_INT, K_I64},
    {"cpuNanos", "cpu_nanos", A_INT, K_I64},
    {"planningTimeMicros", "planning_micros", A_INT, K_I64},
    {"errCode", "error_code", A_INT, K_I32},
    {"queryHash", "query_hash", A_STR, K_STR},
    {"planCacheKey", "plan_cache_key", A_STR, K_STR},
    {"queryShapeHash", "query_shape_hash", A_STR, K_STR},
    {"planCacheShapeHash", "plan_cache_shape_hash", A_STR, K_STR},
    {"appName", "app_name", A_STR, K_STR},
    {"errName", "error_name", A_STR, K_STR},
    {"planSummary", "plan_summary", A_STR, K_STR},
    {"hasSortStage", "has_sort_stage", A_BOOL, K_BOOL},
    {"usedDisk", "used_disk", A_BOOL, K_BOOL},
    {"fromMultiPlanner", "from_multi_planner", A_BOOL, K_BOOL},
    {"replanned", "replanned", A_BOOL, K_BOOL},
    {"durationMillis", "duration_ms", A_FLOAT, K_F64},
    {"workingMillis", "working_millis", A_FLOAT, K_F64},
};
#define N_ATTRS ((int)(sizeof ATTRS / sizeof ATTRS[0]))
#define S_COUNT (S_ATTR + N_ATTRS)
enum { A_DURATION = 26, A_PLAN_SUMMARY = 21 }; /* positions in ATTRS */

/* the other attributes a slow query reads; each may appear once (a duplicate: Python) */
enum { X_NS = N_ATTRS, X_TYPE, X_COMMAND, X_ORIGINATING, X_STORAGE, X_REMOTE, X_COUNT };
static const Str EXTRA_KEYS[] = {NAME("ns"), NAME("type"), NAME("command"),
                                 NAME("originatingCommand"), NAME("storage"), NAME("remote")};
static Str attr_keys[X_COUNT]; /* ATTRS' keys, then EXTRA_KEYS (filled by parse_block) */

static ColSpec slow_cols[S_COUNT] = {
    {"file_offset", K_I64},   {"line_length", K_I64},   {"ts", K_I64},
    {"day", K_I64},           {"db", K_STR},            {"collection", K_STR},
    {"namespace", K_STR},     {"op", K_STR},            {"op_type", K_STR},
    {"client_ip", K_STR},     {"client_port", K_I32},   {"connection_id", K_I64},
    {"bytes_read", K_I64},    {"time_reading_micros", K_I64}, {"plan", K_STR},
    {"shape", K_STR},         {"shape_hash", K_STR},    {"truncated", K_BOOL},
    {"full_scan", K_BOOL},    {"is_system", K_BOOL}};

/* One row's values before it is committed (a line may still go back to Python). */
typedef struct {
    int set;
    int64_t i;
    double f;
    Str s;
} Val;

static int commit(Col *cols, const ColSpec *spec, const Val *vals, int count) {
    for (int k = 0; k < count; k++) {
        const Val *v = &vals[k];
        Col *c = &cols[k];
        int rc;
        if (!v->set) rc = col_null(c);
        else if (spec[k].kind == K_I64) rc = col_i64(c, v->i);
        else if (spec[k].kind == K_I32) rc = col_i32(c, (int32_t)v->i);
        else if (spec[k].kind == K_F64) rc = col_f64(c, v->f);
        else if (spec[k].kind == K_BOOL) rc = col_bool(c, v->i != 0);
        else rc = col_str(c, v->s.s, v->s.n);
        if (rc < 0) return -1;
    }
    return 0;
}

/* ---- values as json_line reads them ----------------------------------------------- */

enum { SURE = 1, UNSURE = 0 }; /* UNSURE: the line goes back to Python */

/* _int_or_none of a number, bool or null (a dict such as {"$numberLong": …}: Python). */
static int int_of(yyjson_val *v, Val *out, int64_t low, int64_t high) {
    out->set = 0;
    if (v == NULL || yyjson_is_null(v) || yyjson_is_str(v) || yyjson_is_arr(v)) {
        return SURE; /* None */
    }
    if (yyjson_is_bool(v)) {
        out->i = yyjson_get_bool(v);
    } else if (yyjson_is_sint(v)) {
        out->i = yyjson_get_sint(v);
    } else if (yyjson_is_uint(v)) {
        if (yyjson_get_uint(v) > (uint64_t)INT64_MAX) return UNSURE;
        out->i = (int64_t)yyjson_get_uint(v);
    } else if (yyjson_is_real(v)) {
        double d = yyjson_get_real(v);
        if (!(d > -9.2e18 && d < 9.2e18)) return UNSURE;
        out->i = (int64_t)d; /* int(): toward zero */
    } else {
        return UNSURE; /* a big number, or a dict such as {"$numberLong": …} */
    }
    if (out->i < low || out->i > high) return UNSURE;
    out->set = 1;
    return SURE;
}

/* A str column (`_str_or_none`): a string, or null; any other type: Python. */
static int text_of(yyjson_val *v, Val *out) {
    out->set = 0;
    if (v == NULL || yyjson_is_null(v)) return SURE;
    if (!yyjson_is_str(v)) return UNSURE;
    out->set = 1;
    out->s = str_of(v);
    return SURE;
}

static int is_number(yyjson_val *v) {
    return yyjson_is_int(v) || yyjson_is_real(v); /* not raw: a big number is Python's */
}

/* `1.2.3.4:5678` or `[::1]:5678` -> (address, port), as json_line.split_host_port. */
static int host_port(yyjson_val *remote, Val *ip, Val *port) {
    ip->set = port->set = 0;
    if (remote == NULL || yyjson_is_null(remote)) return SURE;
    if (yyjson_is_raw(remote)) return UNSURE;
    if (!yyjson_is_str(remote)) return SURE;
    Str r = str_of(remote);
    if (r.n == 0) return SURE;
    size_t colon = r.n;
    while (colon > 0 && r.s[colon - 1] != ':') colon--;
    ip->set = 1;
    ip->s = r;
    if (colon == 0) return SURE; /* no ':' */
    const char *digits = r.s + colon;
    size_t nd = r.n - colon;
    for (size_t k = 0; k < nd; k++) {
        unsigned char ch = (unsigned char)digits[k];
        if (ch >= 0x80) return UNSURE; /* str.isdigit() knows other digits */
        if (ch < '0' || ch > '9') return SURE;
    }
    if (nd == 0) return SURE;
    if (nd > 9) return UNSURE; /* beyond the i32 column: Python decides */
    int64_t value = 0;
    for (size_t k = 0; k < nd; k++) value = value * 10 + (digits[k] - '0');
    Str address = {r.s, colon - 1};
    if (address.n >= 2 && address.s[0] == '[' && address.s[address.n - 1] == ']') {
        address.s++;
        address.n -= 2;
    }
    ip->s = address;
    port->set = 1;
    port->i = value;
    return SURE;
}

/* `conn123` -> 123, as json_line.connection_number. */
static int connection_of(const Val *ctx, Val *out) {
    out->set = 0;
    if (!ctx->set || ctx->s.n < 4 || memcmp(ctx->s.s, "conn", 4) != 0) return SURE;
    size_t nd = ctx->s.n - 4;
    const char *d = ctx->s.s + 4;
    int64_t value = 0;
    for (size_t k = 0; k < nd; k++) {
        unsigned char ch = (unsigned char)d[k];
        if (ch >= 0x80) return UNSURE;
        if (ch < '0' || ch > '9') return SURE;
        value = value * 10 + (ch - '0');
    }
    if (nd == 0) return SURE;
    if (nd > 18) return UNSURE;
    out->set = 1;
    out->i = value;
    return SURE;
}

/* ---- timestamps: IsoParser's common form only ------------------------------------- */

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return 0;
        v = v * 10 + (s[k] - '0');
    }
    *out = v;
    return 1;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* `YYYY-MM-DDTHH:MM:SS.mmm` + `Z` or `±HH:MM` -> µs since the epoch; 0 when not that form
 * (or not a valid date), and IsoParser decides. */
static int timestamp_of(Str t, int64_t *us) {
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = t.s;
    if (t.n != 24 && t.n != 29) return 0;
    int y, mo, d, h, mi, se, ms, oh = 0, om = 0, sign = 0;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se) ||
        !digits(s + 20, 3, &ms)) {
        return 0;
    }
    if (t.n == 24) {
        if (s[23] != 'Z') return 0;
    } else {
        if ((s[23] != '+' && s[23] != '-') || s[26] != ':' || !digits(s + 24, 2, &oh) ||
            !digits(s + 27, 2, &om) || oh > 23 || om > 59) {
            return 0;
        }
        sign = s[23] == '-' ? -1 : 1;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > month_days[mo - 1] + (mo == 2 && leap)) return 0;
    int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
                      sign * (oh * 3600 + om * 60);
    *us = seconds * 1000000 + (int64_t)ms * 1000;
    return 1;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- Python objects for shapes and row builders ----------------------------------- */

static PyObject *to_py(yyjson_val *v);

#define TEXT_CACHE 4096 /* slots, a power of two */
#define TEXT_CACHED 40   /* bytes: longer strings are always made anew */
static PyObject *text_cache[TEXT_CACHE];

/* A str for a short ASCII string from a small cache (keys and names repeat on every line:
 * one str each, its hash computed once), else a new one. */
static PyObject *text_py(yyjson_val *v) {
    const char *s = yyjson_get_str(v);
    size_t n = yyjson_get_len(v);
    if (n > TEXT_CACHED) return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, NULL);
    uint32_t h = 2166136261u;
    for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)s[k]) * 16777619u;
    PyObject **slot = &text_cache[h & (TEXT_CACHE - 1)];
    PyObject *hit = *slot;
    if (hit != NULL && (size_t)PyUnicode_GET_LENGTH(hit) == n &&
        memcmp(PyUnicode_DATA(hit), s, n) == 0) {
        return Py_NewRef(hit);
    }
    PyObject *fresh = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, NULL);
    if (fresh != NULL && PyUnicode_IS_COMPACT_ASCII(fresh)) Py_XSETREF(*slot, Py_NewRef(fresh));
    return fresh;
}

static PyObject *key_of(yyjson_val *key) { return text_py(key); }

/* The value as orjson.loads makes it (NULL, error set, for a big number). */
static PyObject *to_py(yyjson_val *v) {
    switch (yyjson_get_type(v)) {
    case YYJSON_TYPE_NULL:
        Py_RETURN_NONE;
    case YYJSON_TYPE_BOOL:
        return PyBool_FromLong(yyjson_get_bool(v));
    case YYJSON_TYPE_NUM:
        if (yyjson_is_sint(v)) return PyLong_FromLongLong(yyjson_get_sint(v));
        if (yyjson_is_uint(v)) return PyLong_FromUnsignedLongLong(yyjson_get_uint(v));
        return PyFloat_FromDouble(yyjson_get_real(v));
    case YYJSON_TYPE_STR:
        return text_py(v);
    case YYJSON_TYPE_ARR: {
        PyObject *list = PyList_New((Py_ssize_t)yyjson_arr_size(v));
        if (list == NULL) return NULL;
        yyjson_val *item;
        size_t idx, max;
        yyjson_arr_foreach(v, idx, max, item) {
            PyObject *x = to_py(item);
            if (x == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)idx, x);
        }
        return list;
    }
    case YYJSON_TYPE_OBJ: {
        PyObject *dict = PyDict_New();
        if (dict == NULL) return NULL;
        yyjson_val *key, *item;
        size_t idx, max;
        yyjson_obj_foreach(v, idx, max, key, item) {
            PyObject *k = key_of(key), *x = k ? to_py(item) : NULL;
            int rc = x ? PyDict_SetItem(dict, k, x) : -1;
            Py_XDECREF(k);
            Py_XDECREF(x);
            if (rc < 0) {
                Py_DECREF(dict);
                return NULL;
            }
        }
        return dict;
    }
    default:
        PyErr_SetString(PyExc_ValueError, "a number beyond 64 bits");
        return NULL;
    }
}

/* What shape.py's `_shape_parts` and `command_collection` may read of a command. */
static const Str SHAPE_KEYS[] = {
    NAME("deletes"), NAME("filter"), NAME("hint"), NAME("indexes"), NAME("key"),
    NAME("limit"), NAME("multi"), NAME("new"), NAME("pipeline"), NAME("projection"),
    NAME("q"), NAME("query"), NAME("remove"), NAME("skip"), NAME("sort"), NAME("u"),
    NAME("update"), NAME("updates"), NAME("upsert"), NAME("find"), NAME("$query"),
    NAME("orderby"), NAME("$orderby"), NAME("$hint"), NAME("fields"), NAME("collection")};

static int shape_key(yyjson_val *key) {
    Str k = str_of(key);
    return k.n && name_index(k, SHAPE_KEYS, (int)(sizeof SHAPE_KEYS / sizeof SHAPE_KEYS[0])) >= 0;
}

/* The command as a dict of its first key and the keys above only: the same shape and
 * collection as the whole command, without making the rest (lsid, $clusterTime, …). */
static PyObject *shape_dict(yyjson_val *command) {
    PyObject *dict = PyDict_New();
    if (dict == NULL || yyjson_obj_size(command) == 0) return dict;
    yyjson_val *key, *item, *first = unsafe_yyjson_get_first(command);
    size_t idx, max;
    yyjson_obj_foreach(command, idx, max, key, item) {
        Str k = str_of(key);
        if (!(k.n == yyjson_get_len(first) && memcmp(k.s, yyjson_get_str(first), k.n) == 0) &&
            !shape_key(key)) {
            continue;
        }
        PyObject *pk = key_of(key), *x = pk ? to_py(item) : NULL;
        int rc = x ? PyDict_SetItem(dict, pk, x) : -1;
        Py_XDECREF(pk);
        Py_XDECREF(x);
        if (rc < 0) {
            Py_DECREF(dict);
            return NULL;
        }
    }
    return dict;
}

static int has_key(PyObject *d, const char *key) {
    PyObject *k = PyUnicode_FromString(key);
    int rc = k ? PyDict_Contains(d, k) : -1;
    Py_XDECREF(k);
    return rc == 1;
}

/* ---- a slow query's identity: json_line.query_identity ---------------------------- */

static const Str COMMANDS[] = {
    NAME("find"), NAME("aggregate"), NAME("count"), NAME("distinct"), NAME("update"),
    NAME("delete"), NAME("insert"), NAME("findAndModify"), NAME("findandmodify"),
    NAME("getMore"), NAME("getmore"), NAME("$query")};
static const char *const COMMAND_OPS[] = {
    "find", "aggregate", "count", "distinct", "update", "delete", "insert", "findAndModify",
    "findAndModify", "getMore", "getMore", "find"};
static const char *const OP_TYPES[] = {
    "query", "find", "getmore", "getMore", "update", "update", "remove", "delete", "insert",
    "insert", "killcursors", "killCursors", NULL};
static const char *const COLLECTION_COMMANDS[] = {
    "find", "aggregate", "count", "distinct", "update", "delete", "insert", "getMore",
    "findAndModify", "findandmodify", "mapReduce", "mapreduce", "geoNear", "geonear",
    "create", "drop", "createIndexes", "dropIndexes", "deleteIndexes", "listIndexes",
    "collStats", "collstats", "validate", "compact", "reIndex", "collMod", "killCursors",
    NULL};

static Str lit(const char *s) { return (Str){s, strlen(s)}; }

static int ascii_lower_is(Str s, const char *lower) {
    size_t n = strlen(lower);
    if (s.n != n) return 0;
    for (size_t k = 0; k < n; k++) {
        char ch = s.s[k];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (ch != lower[k]) return 0;
    }
    return 1;
}

/* shape.canonical_op(command, op_type); `kind` is ASCII (checked by the caller). */
static Str canonical_op(yyjson_val *command, const Val *kind) {
    int has_first = command != NULL && yyjson_obj_size(command) > 0;
    Str first = has_first ? str_of(unsafe_yyjson_get_first(command)) : (Str){NULL, 0};
    int at = has_first && first.n
                 ? name_index(first, COMMANDS, (int)(sizeof COMMANDS / sizeof COMMANDS[0]))
                 : -1;
    if (at >= 0) return lit(COMMAND_OPS[at]);
    if (kind->set) {
        for (const char *const *n = OP_TYPES; *n; n += 2) {
            if (ascii_lower_is(kind->s, n[0])) return lit(n[1]);
        }
    }
    if (has_first && first.n && first.s[0] != '$') return first;
    return lit("command");
}

/* commands.command_collection of the (shape) dict of a command; 0 when it names none. */
static int command_collection(PyObject *command, Str *out) {
    PyObject *name, *first;
    Py_ssize_t pos = 0;
    if (command == NULL || !PyDict_Next(command, &pos, &name, &first)) return 0;
    if (PyUnicode_CompareWithASCIIString(name, "getMore") == 0) {
        first = PyDict_GetItemString(command, "collection");
    }
    if (first == NULL || !PyUnicode_Check(first) || PyUnicode_GET_LENGTH(first) == 0) return 0;
    for (const char *const *n = COLLECTION_COMMANDS; *n; n++) {
        if (PyUnicode_CompareWithASCIIString(name, *n) == 0) {
            Py_ssize_t len;
            const char *s = PyUnicode_AsUTF8AndSize(first, &len);
            if (s == NULL) {
                PyErr_Clear();
                return 0;
            }
            *out = (Str){s, (size_t)len};
            return 1;
        }
    }
    return 0;
}

static PyObject *hash_cache = NULL, *blake2b = NULL;

/* shape.shape_hash(namespace, op, shape): blake2b, cached per distinct triple (shapes
 * repeat: a log has a few thousand at most). The cache holds the returned text. */
static int shape_hash(Str ns, Str op, const char *shape, size_t n, Str *out) {
    if (hash_cache == NULL) return -1;
    size_t size = ns.n + op.n + n + 2;
    PyObject *key = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (key == NULL) return -1;
    char *k = PyBytes_AS_STRING(key);
    memcpy(k, ns.s, ns.n);
    k[ns.n] = '\0';
    memcpy(k + ns.n + 1, op.s, op.n);
    k[ns.n + 1 + op.n] = '\0';
    memcpy(k + ns.n + op.n + 2, shape, n);
    PyObject *hex = PyDict_GetItemWithError(hash_cache, key);
    if (hex == NULL && !PyErr_Occurred()) {
        PyObject *digest = NULL, *text = NULL;
        PyObject *kwargs = Py_BuildValue("{s:i}", "digest_size", 8);
        PyObject *args = kwargs ? PyTuple_Pack(1, key) : NULL;
        PyObject *h = args ? PyObject_Call(blake2b, args, kwargs) : NULL;
        if (h) digest = PyObject_CallMethod(h, "hexdigest", NULL);
        if (digest) text = PyUnicode_AsASCIIString(digest);
        if (text && PyDict_GET_SIZE(hash_cache) >= HASH_CACHE_LIMIT) PyDict_Clear(hash_cache);
        if (text && PyDict_SetItem(hash_cache, key, text) == 0) hex = text;
        Py_XDECREF(kwargs);
        Py_XDECREF(args);
        Py_XDECREF(h);
        Py_XDECREF(digest);
        Py_XDECREF(text); /* the cache keeps it */
    }
    Py_DECREF(key);
    if (hex == NULL) return -1;
    *out = (Str){PyBytes_AS_STRING(hex), (size_t)PyBytes_GET_SIZE(hex)};
    return 0;
}

/* ---- one line ---------------------------------------------------------------------- */

enum { H_T, H_S, H_C, H_ID, H_CTX, H_MSG, H_ATTR, H_TRUNCATED, H_COUNT };
static const Str HEAD_KEYS[H_COUNT] = {NAME("t"),   NAME("s"),   NAME("c"),    NAME("id"),
                                      NAME("ctx"), NAME("msg"), NAME("attr"), NAME("truncated")};

static int too_deep(yyjson_val *v, int depth) {
    if (depth > DEEP) return 1;
    yyjson_val *item, *key;
    size_t idx, max;
    if (yyjson_is_arr(v)) {
        yyjson_arr_foreach(v, idx, max, item) {
            if (yyjson_is_ctn(item) && too_deep(item, depth + 1)) return 1;
        }
    } else if (yyjson_is_obj(v)) {
        yyjson_obj_foreach(v, idx, max, key, item) {
            if (yyjson_is_ctn(item) && too_deep(item, depth + 1)) return 1;
        }
    }
    return 0;
}

static Str message_of(Str s) { /* message[:4096], in code points */
    if (s.n <= MESSAGE_LIMIT) return s;
    size_t points = 0;
    for (size_t k = 0; k < s.n; k++) {
        if (((unsigned char)s.s[k] & 0xC0) != 0x80) {
            if (points == MESSAGE_LIMIT) return (Str){s.s, k};
            points++;
        }
    }
    return s;
}

static const char *level_of(Str severity) {
    if (severity.n == 0) return NULL;
    switch (severity.s[0]) {
    case 'F': return "FATAL";
    case 'E': return "ERROR";
    case 'W': return "WARN";
    case 'I': return "INFO";
    case 'D': return "DEBUG";
    default: return NULL;
    }
}

/* The attributes a slow query reads (and durationMillis), each at most once. */
static int scan_attr(yyjson_val *attr, yyjson_val **found) {
    memset(found, 0, sizeof(yyjson_val *) * X_COUNT);
    if (attr == NULL) return SURE;
    yyjson_val *key, *item;
    size_t idx, max;
    yyjson_obj_foreach(attr, idx, max, key, item) {
        Str k = str_of(key);
        int i = k.n ? name_index(k, attr_keys, X_COUNT) : -1;
        if (i >= 0) {
            if (found[i] != NULL) return UNSURE;
            found[i] = item;
        }
    }
    return SURE;
}

static yyjson_val *last_member(yyjson_val *obj, const char *name) {
    yyjson_val *key, *item, *hit = NULL;
    size_t idx, max;
    if (!yyjson_is_obj(obj)) return NULL;
    yyjson_obj_foreach(obj, idx, max, key, item) {
        if (str_is(str_of(key), name)) hit = item;
    }
    return hit;
}

/* Holds what a slow row's strings point into until it is committed. */
typedef struct {
    PyObject *command, *source, *op;
    char *shape;
} Keep;

static void keep_free(Keep *k) {
    Py_XDECREF(k->command);
    Py_XDECREF(k->source);
    Py_XDECREF(k->op);
    PyMem_Free(k->shape);
    memset(k, 0, sizeof *k);
}

/* json_line.slow_query_row of the attributes (the offsets, ts and day are filled by the
 * caller). SURE, UNSURE, or -1 with a Python error (no memory). */
static int slow_row(yyjson_val **found, const Val *context, Val *v, Keep *keep) {
    for (int i = 0; i < N_ATTRS; i++) {
        yyjson_val *x = found[i];
        Val *out = &v[S_ATTR + i];
        if (x == NULL || yyjson_is_null(x)) continue;
        if (yyjson_is_raw(x)) return UNSURE;
        switch (ATTRS[i].how) {
        case A_INT:
            if (int_of(x, out, ATTRS[i].kind == K_I32 ? INT32_MIN : INT64_MIN,
                       ATTRS[i].kind == K_I32 ? INT32_MAX : INT64_MAX) != SURE) {
                return UNSURE;
            }
            break;
        case A_STR:
            if (text_of(x, out) != SURE) return UNSURE;
            break;
        case A_BOOL:
            if (!yyjson_is_bool(x)) return UNSURE;
            out->set = 1;
            out->i = yyjson_get_bool(x);
            break;
        default:
            if (is_number(x)) {
                out->set = 1;
                out->f = yyjson_get_num(x);
            }
        }
    }
    if (connection_of(context, &v[S_CONNECTION_ID]) != SURE) return UNSURE;
    const Val *summary = &v[S_ATTR + A_PLAN_SUMMARY];
    if (summary->set && summary->s.n) {
        Str plan = summary->s;
        const char *space = memchr(plan.s, ' ', plan.n);
        if (space) plan.n = (size_t)(space - plan.s);
        while (plan.n && plan.s[plan.n - 1] == ',') plan.n--;
        v[S_PLAN] = (Val){1, 0, 0, plan};
    }
    v[S_FULL_SCAN] = (Val){1, v[S_PLAN].set && str_is(v[S_PLAN].s, "COLLSCAN"), 0, {0}};
    yyjson_val *data = last_member(found[X_STORAGE], "data");
    if (yyjson_is_obj(data)) {
        yyjson_val *read = last_member(data, "bytesRead");
        yyjson_val *micros = last_member(data, "timeReadingMicros");
        if ((read && int_of(read, &v[S_BYTES_READ], INT64_MIN, INT64_MAX) != SURE) ||
            (micros && int_of(micros, &v[S_TIME_READING], INT64_MIN, INT64_MAX) != SURE)) {
            return UNSURE;
        }
    }
    if (host_port(found[X_REMOTE], &v[S_CLIENT_IP], &v[S_CLIENT_PORT]) != SURE) return UNSURE;
    /* query_identity */
    yyjson_val *ns = found[X_NS], *command = found[X_COMMAND];
    if (ns && yyjson_is_raw(ns)) return UNSURE;
    Str namespace = {"", 0};
    if (yyjson_is_str(ns)) {
        namespace = str_of(ns);
        v[S_NAMESPACE] = (Val){1, 0, 0, namespace};
        if (namespace.n) {
            const char *dot = memchr(namespace.s, '.', namespace.n);
            size_t at = dot ? (size_t)(dot - namespace.s) : namespace.n;
            Str db = {namespace.s, at};
            v[S_DB] = (Val){1, 0, 0, db};
            v[S_COLLECTION] = (Val){1, 0, 0, {dot ? dot + 1 : "", dot ? namespace.n - at - 1 : 0}};
            v[S_IS_SYSTEM].i = str_is(db, "admin") || str_is(db, "local") || str_is(db, "config");
        }
    }
    v[S_IS_SYSTEM].set = 1;
    if (text_of(found[X_TYPE], &v[S_OP_TYPE]) != SURE) return UNSURE;
    for (size_t k = 0; v[S_OP_TYPE].set && k < v[S_OP_TYPE].s.n; k++) {
        if ((unsigned char)v[S_OP_TYPE].s.s[k] >= 0x80) return UNSURE; /* str.lower() */
    }
    if (!yyjson_is_obj(command)) command = NULL;
    Str op = canonical_op(command, &v[S_OP_TYPE]);
    v[S_OP] = (Val){1, 0, 0, op};
    if (command && (keep->command = shape_dict(command)) == NULL) goto python_error;
    Str named;
    if (str_is(v[S_COLLECTION].s, "$cmd") && command_collection(keep->command, &named)) {
        v[S_COLLECTION].s = named;
    }
    yyjson_val *origin = found[X_ORIGINATING];
    if (str_is(op, "getMore")) {
        if (yyjson_is_obj(origin) && (keep->source = shape_dict(origin)) == NULL) {
            goto python_error;
        }
    } else if (keep->command) {
        keep->source = Py_NewRef(keep->command);
        if (str_is(op, "find") && !has_key(keep->source, "find") &&
            !has_key(keep->source, "filter") && !has_key(keep->source, "$query") &&
            !(has_key(keep->source, "query") && has_key(keep->source, "orderby"))) {
            Py_SETREF(keep->source, to_py(command)); /* a bare legacy query: all of it */
            if (keep->source == NULL) goto python_error;
        }
    }
    keep->op = PyUnicode_DecodeUTF8(op.s, (Py_ssize_t)op.n, NULL);
    if (keep->op == NULL) goto python_error;
    Py_ssize_t shape_len;
    if (loglake_shape_text(keep->op, keep->source ? keep->source : Py_None, &keep->shape,
                           &shape_len) < 0) {
        return UNSURE;
    }
    v[S_SHAPE] = (Val){1, 0, 0, {keep->shape, (size_t)shape_len}};
    if (shape_hash(namespace, op, keep->shape, (size_t)shape_len, &v[S_SHAPE_HASH].s) < 0) {
        goto python_error;
    }
    v[S_SHAPE_HASH].set = 1;
    return SURE;
python_error:
    if (PyErr_ExceptionMatches(PyExc_MemoryError)) return -1;
    PyErr_Clear(); /* e.g. a number beyond 64 bits in the command: Python decides */
    return UNSURE;
}

/* ---- authentication and connection rows: json_line.auth_row / connection_row ----- */

enum { AU_OFFSET, AU_LENGTH, AU_TS, AU_DAY, AU_USER, AU_AUTH_DB, AU_MECHANISM, AU_RESULT,
       AU_ERROR, AU_ERROR_CODE, AU_CONNECTION_ID, AU_CLIENT_IP, AU_CLIENT_PORT, AU_COUNT };
static const ColSpec AUTH_COLS[AU_COUNT] = {
    {"file_offset", K_I64}, {"line_length", K_I64},   {"ts", K_I64},        {"day", K_I64},
    {"user", K_STR},        {"auth_db", K_STR},       {"mechanism", K_STR}, {"result", K_STR},
    {"error", K_STR},       {"error_code", K_I32},    {"connection_id", K_I64},
    {"client_ip", K_STR},   {"client_port", K_I32}};

enum { CO_OFFSET, CO_LENGTH, CO_TS, CO_DAY, CO_EVENT, CO_CONNECTION_ID, CO_CLIENT_IP,
       CO_CLIENT_PORT, CO_OPEN, CO_UUID, CO_DRIVER_NAME, CO_DRIVER_VERSION, CO_APP_NAME,
       CO_OS_TYPE, CO_OS_NAME, CO_PLATFORM, CO_COUNT };
static const ColSpec CONNECTION_COLS[CO_COUNT] = {
    {"file_offset", K_I64},    {"line_length", K_I64}, {"ts", K_I64},
    {"day", K_I64},            {"event", K_STR},       {"connection_id", K_I64},
    {"client_ip", K_STR},      {"client_port", K_I32}, {"connection_count", K_I64},
    {"uuid", K_STR},           {"driver_name", K_STR}, {"driver_version", K_STR},
    {"app_name", K_STR},       {"os_type", K_STR},     {"os_name", K_STR},
    {"platform", K_STR}};

/* the attributes these rows read, found as a dict's get() finds them (the last one) */
enum { O_USER, O_PRINCIPAL, O_DB, O_AUTH_DB, O_MECHANISM, O_ERROR, O_RESULT, O_REMOTE,
       O_CLIENT, O_DOC, O_CONNECTION_ID, O_CONNECTION_COUNT, O_UUID, O_COUNT };
static const Str OTHER_KEYS[O_COUNT] = {
    NAME("user"),   NAME("principalName"), NAME("db"),     NAME("authenticationDatabase"),
    NAME("mechanism"), NAME("error"),      NAME("result"), NAME("remote"),
    NAME("client"), NAME("doc"),           NAME("connectionId"), NAME("connectionCount"),
    NAME("uuid")};

static void scan_last(yyjson_val *obj, yyjson_val **out) {
    memset(out, 0, sizeof(yyjson_val *) * O_COUNT);
    yyjson_val *key, *item;
    size_t idx, max;
    if (!yyjson_is_obj(obj)) return;
    yyjson_obj_foreach(obj, idx, max, key, item) {
        Str k = str_of(key);
        int i = k.n ? name_index(k, OTHER_KEYS, O_COUNT) : -1;
        if (i >= 0) out[i] = item;
    }
}

/* `_str_or_none(x) or None` */
static int text_or_none(yyjson_val *x, Val *out) {
    if (text_of(x, out) != SURE) return UNSURE;
    if (out->set && out->s.n == 0) out->set = 0;
    return SURE;
}

static int auth_values(int ok, yyjson_val **a, const Val *context, Val *v) {
    if (text_or_none(a[O_USER] ? a[O_USER] : a[O_PRINCIPAL], &v[AU_USER]) != SURE ||
        text_or_none(a[O_DB] ? a[O_DB] : a[O_AUTH_DB], &v[AU_AUTH_DB]) != SURE ||
        text_or_none(a[O_MECHANISM], &v[AU_MECHANISM]) != SURE) {
        return UNSURE;
    }
    v[AU_RESULT] = (Val){1, 0, 0, lit(ok ? "success" : "failure")};
    yyjson_val *error = a[O_ERROR], *result = a[O_RESULT];
    if (yyjson_is_raw(result)) return UNSURE;
    if (yyjson_is_int(result)) {
        Val code;
        if (int_of(result, &code, INT32_MIN, INT32_MAX) != SURE) return UNSURE;
        if (code.i != 0) v[AU_ERROR_CODE] = code; /* `result or None` */
    } else if (yyjson_is_str(result) && !ok && (error == NULL || yyjson_is_null(error))) {
        error = result; /* early 4.4: "result":"UserNotFound: ..." */
    }
    if (text_of(error, &v[AU_ERROR]) != SURE) return UNSURE;
    if (connection_of(context, &v[AU_CONNECTION_ID]) != SURE) return UNSURE;
    return host_port(a[O_REMOTE] ? a[O_REMOTE] : a[O_CLIENT], &v[AU_CLIENT_IP],
                     &v[AU_CLIENT_PORT]);
}

static int connection_values(int64_t msg_id, yyjson_val **a, const Val *context, Val *v) {
    if (host_port(a[O_REMOTE], &v[CO_CLIENT_IP], &v[CO_CLIENT_PORT]) != SURE) return UNSURE;
    if (msg_id == 51800) { /* client metadata */
        v[CO_EVENT] = (Val){1, 0, 0, lit("metadata")};
        Val client = *context;
        if (a[O_CLIENT] != NULL) {
            client.set = yyjson_is_str(a[O_CLIENT]);
            client.s = str_of(a[O_CLIENT]);
        }
        if (connection_of(&client, &v[CO_CONNECTION_ID]) != SURE) return UNSURE;
        yyjson_val *doc = a[O_DOC];
        if (!yyjson_is_obj(doc)) return SURE;
        yyjson_val *driver = last_member(doc, "driver"), *os = last_member(doc, "os");
        yyjson_val *app = last_member(doc, "application");
        if (text_of(last_member(driver, "name"), &v[CO_DRIVER_NAME]) != SURE ||
            text_of(last_member(driver, "version"), &v[CO_DRIVER_VERSION]) != SURE ||
            text_of(last_member(os, "type"), &v[CO_OS_TYPE]) != SURE ||
            text_of(last_member(os, "name"), &v[CO_OS_NAME]) != SURE ||
            text_of(last_member(app, "name"), &v[CO_APP_NAME]) != SURE ||
            text_of(last_member(doc, "platform"), &v[CO_PLATFORM]) != SURE) {
            return UNSURE;
        }
        return SURE;
    }
    v[CO_EVENT] = (Val){1, 0, 0, lit(msg_id == 22943 ? "accepted" : "ended")};
    if (int_of(a[O_CONNECTION_ID], &v[CO_CONNECTION_ID], INT64_MIN, INT64_MAX) != SURE ||
        int_of(a[O_CONNECTION_COUNT], &v[CO_OPEN], INT64_MIN, INT64_MAX) != SURE) {
        return UNSURE;
    }
    if (!v[CO_CONNECTION_ID].set && connection_of(context, &v[CO_CONNECTION_ID]) != SURE) {
        return UNSURE;
    }
    yyjson_val *uuid = a[O_UUID];
    while (yyjson_is_obj(uuid)) { /* "…", {"$uuid": …} or {"uuid": {"$uuid": …}} */
        yyjson_val *inner = last_member(uuid, "$uuid");
        uuid = inner != NULL ? inner : last_member(uuid, "uuid");
    }
    return text_of(uuid, &v[CO_UUID]);
}

typedef struct {
    Col ev[E_COUNT], sq[S_COUNT], au[AU_COUNT], co[CO_COUNT];
    PyObject *fallback;
    yyjson_alc *alc;
} State;

static int is_interesting(int64_t id) {
    switch (id) {
    case SLOW_QUERY: case 20250: case 5286306: case 20249: case 5286307: case 22943:
    case 22944: case 51800:
        return 1;
    default:
        return 0;
    }
}

static int is_auth(int64_t id) {
    return id == 20250 || id == 5286306 || id == 20249 || id == 5286307;
}

/* The rows of one line: SURE (committed), UNSURE (nothing committed: Python decides), or
 * -1 with a Python error. */
static int line_rows(State *st, const char *line, size_t len, int64_t offset) {
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)line, len, YYJSON_READ_BIGNUM_AS_RAW, st->alc,
                                       &err);
    if (doc == NULL) return UNSURE;
    int rc = UNSURE;
    Keep keep = {0};
    yyjson_val *root = yyjson_doc_get_root(doc), *head[H_COUNT] = {0};
    if (!yyjson_is_obj(root)) goto done;
    if (yyjson_doc_get_val_count(doc) > DEEP && too_deep(root, 0)) goto done;
    yyjson_val *key, *item;
    size_t idx, max;
    yyjson_obj_foreach(root, idx, max, key, item) {
        Str k = str_of(key);
        int h = k.n ? name_index(k, HEAD_KEYS, H_COUNT) : -1;
        if (h >= 0) {
            if (head[h] != NULL) goto done; /* a duplicate: dict semantics are Python's */
            head[h] = item;
        }
    }
    /* the timestamp: {"$date": "…"} in the common form only */
    yyjson_val *date = NULL;
    if (!yyjson_is_obj(head[H_T])) goto done;
    yyjson_obj_foreach(head[H_T], idx, max, key, item) {
        if (str_is(str_of(key), "$date")) {
            if (date != NULL) goto done;
            date = item;
        }
    }
    int64_t ts;
    if (!yyjson_is_str(date) || !timestamp_of(str_of(date), &ts)) goto done;
    Val e[E_COUNT] = {0};
    e[E_OFFSET] = (Val){1, offset, 0, {0}};
    e[E_LENGTH] = (Val){1, (int64_t)len, 0, {0}};
    e[E_TS] = (Val){1, ts, 0, {0}};
    e[E_DAY] = (Val){1, floor_div(ts, 86400000000LL), 0, {0}};
    if (text_of(head[H_S], &e[E_SEVERITY]) != SURE || text_of(head[H_C], &e[E_COMPONENT]) != SURE ||
        text_of(head[H_CTX], &e[E_CONTEXT]) != SURE || text_of(head[H_MSG], &e[E_MESSAGE]) != SURE) {
        goto done;
    }
    if (e[E_MESSAGE].set) e[E_MESSAGE].s = message_of(e[E_MESSAGE].s);
    const char *level = e[E_SEVERITY].set ? level_of(e[E_SEVERITY].s) : NULL;
    if (level) e[E_LEVEL] = (Val){1, 0, 0, lit(level)};
    yyjson_val *id = head[H_ID];
    if (yyjson_is_raw(id) || (yyjson_is_uint(id) && yyjson_get_uint(id) > (uint64_t)INT64_MAX)) {
        goto done;
    }
    if (yyjson_is_int(id)) e[E_MSG_ID] = (Val){1, yyjson_get_sint(id), 0, {0}};
    if (!e[E_MSG_ID].set || !is_interesting(e[E_MSG_ID].i)) {
        rc = commit(st->ev, EVENT_COLS, e, E_COUNT) < 0 ? -1 : SURE;
        goto done;
    }
    int64_t msg_id = e[E_MSG_ID].i;
    yyjson_val *attr = yyjson_is_obj(head[H_ATTR]) ? head[H_ATTR] : NULL;
    yyjson_val *found[X_COUNT];
    if (scan_attr(attr, found) != SURE) goto done;
    yyjson_val *duration = found[A_DURATION];
    if (yyjson_is_raw(duration)) goto done;
    if (is_number(duration)) e[E_DURATION] = (Val){1, 0, yyjson_get_num(duration), {0}};
    if (msg_id == SLOW_QUERY) {
        Val v[S_COUNT] = {0};
        v[S_OFFSET] = e[E_OFFSET];
        v[S_LENGTH] = e[E_LENGTH];
        v[S_TS] = e[E_TS];
        v[S_DAY] = e[E_DAY];
        v[S_TRUNCATED] = (Val){1, head[H_TRUNCATED] != NULL, 0, {0}};
        rc = slow_row(found, &e[E_CONTEXT], v, &keep);
        if (rc == SURE && (commit(st->ev, EVENT_COLS, e, E_COUNT) < 0 ||
                           commit(st->sq, slow_cols, v, S_COUNT) < 0)) {
            rc = -1;
        }
        goto done;
    }
    yyjson_val *other[O_COUNT];
    scan_last(attr, other);
    Val r[CO_COUNT] = {0}; /* CO_COUNT > AU_COUNT */
    r[AU_OFFSET] = e[E_OFFSET]; /* the first four columns are the same in both */
    r[AU_LENGTH] = e[E_LENGTH];
    r[AU_TS] = e[E_TS];
    r[AU_DAY] = e[E_DAY];
    int auth = is_auth(msg_id);
    rc = auth ? auth_values(msg_id == 20250 || msg_id == 5286306, other, &e[E_CONTEXT], r)
              : connection_values(msg_id, other, &e[E_CONTEXT], r);
    if (rc != SURE) goto done;
    if (auth) e[E_USER] = r[AU_USER];
    if (commit(st->ev, EVENT_COLS, e, E_COUNT) < 0 ||
        (auth ? commit(st->au, AUTH_COLS, r, AU_COUNT)
              : commit(st->co, CONNECTION_COLS, r, CO_COUNT)) < 0) {
        rc = -1;
    }
done:
    keep_free(&keep);
    yyjson_doc_free(doc);
    if (rc == -1 && !PyErr_Occurred()) PyErr_NoMemory();
    return rc;
}

static PyObject *columns_dict(Col *cols, const ColSpec *spec, int count) {
    PyObject *out = PyDict_New();
    for (int k = 0; out && k < count; k++) {
        PyObject *col = col_export(&cols[k]);
        if (col == NULL || PyDict_SetItemString(out, spec[k].name, col) < 0) Py_CLEAR(out);
        Py_XDECREF(col);
    }
    return out;
}

PyObject *loglake_parse_block(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    long long base, max_line;
    if (nargs != 3 || (base = PyLong_AsLongLong(args[1])) == -1 ||
        (max_line = PyLong_AsLongLong(args[2])) == -1) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "parse_block(block, base, max_line)");
        return NULL;
    }
    for (int i = 0; i < N_ATTRS; i++) {
        slow_cols[S_ATTR + i] = (ColSpec){ATTRS[i].column, ATTRS[i].kind};
        attr_keys[i] = lit(ATTRS[i].key);
    }
    for (int i = N_ATTRS; i < X_COUNT; i++) attr_keys[i] = EXTRA_KEYS[i - N_ATTRS];
    if (hash_cache == NULL && (hash_cache = PyDict_New()) == NULL) return NULL;
    if (blake2b == NULL) {
        PyObject *hashlib = PyImport_ImportModule("hashlib");
        blake2b = hashlib ? PyObject_GetAttrString(hashlib, "blake2b") : NULL;
        Py_XDECREF(hashlib);
        if (blake2b == NULL) return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    State st;
    memset(&st, 0, sizeof st);
    for (int k = 0; k < E_COUNT; k++) col_init(&st.ev[k], EVENT_COLS[k].kind);
    for (int k = 0; k < S_COUNT; k++) col_init(&st.sq[k], slow_cols[k].kind);
    for (int k = 0; k < AU_COUNT; k++) col_init(&st.au[k], AUTH_COLS[k].kind);
    for (int k = 0; k < CO_COUNT; k++) col_init(&st.co[k], CONNECTION_COLS[k].kind);
    PyObject *result = NULL;
    st.fallback = PyList_New(0);
    st.alc = yyjson_alc_dyn_new();
    int ok = st.fallback && st.alc;
    for (int k = 0; ok && k < E_COUNT; k++) ok = col_ok(&st.ev[k]);
    for (int k = 0; ok && k < S_COUNT; k++) ok = col_ok(&st.sq[k]);
    for (int k = 0; ok && k < AU_COUNT; k++) ok = col_ok(&st.au[k]);
    for (int k = 0; ok && k < CO_COUNT; k++) ok = col_ok(&st.co[k]);
    if (!ok && !PyErr_Occurred()) PyErr_NoMemory();
    const char *data = view.buf;
    size_t size = (size_t)view.len, start = 0;
    long long lines = 0;
    while (ok && start < size) {
        const char *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        size_t len = end - start;
        if (len && data[end - 1] == '\r') len--;
        lines++;
        int rc = UNSURE;
        if (len > 0 && (long long)len <= max_line) {
            rc = line_rows(&st, data + start, len, base + (int64_t)start);
        }
        if (rc == -1) {
            ok = 0;
        } else if (rc == UNSURE) {
            PyObject *pair = Py_BuildValue("(nn)", (Py_ssize_t)start, (Py_ssize_t)len);
            ok = pair && PyList_Append(st.fallback, pair) == 0;
            Py_XDECREF(pair);
        }
        start = end + 1;
    }
    if (ok) {
        PyObject *events = columns_dict(st.ev, EVENT_COLS, E_COUNT);
        PyObject *slow = events ? columns_dict(st.sq, slow_cols, S_COUNT) : NULL;
        PyObject *auths = slow ? columns_dict(st.au, AUTH_COLS, AU_COUNT) : NULL;
        PyObject *conns = auths ? columns_dict(st.co, CONNECTION_COLS, CO_COUNT) : NULL;
        if (conns) {
            result = Py_BuildValue("(LO{sOsOsOsO})", lines, st.fallback, "events", events,
                                   "slow_queries", slow, "authentications", auths,
                                   "connections", conns);
        }
        Py_XDECREF(events);
        Py_XDECREF(slow);
        Py_XDECREF(auths);
        Py_XDECREF(conns);
    }
    for (int k = 0; k < E_COUNT; k++) col_free(&st.ev[k]);
    for (int k = 0; k < S_COUNT; k++) col_free(&st.sq[k]);
    for (int k = 0; k < AU_COUNT; k++) col_free(&st.au[k]);
    for (int k = 0; k < CO_COUNT; k++) col_free(&st.co[k]);
    Py_XDECREF(st.fallback);
    if (st.alc) yyjson_alc_dyn_free(st.alc);
    PyBuffer_Release(&view);
    return result;
}
