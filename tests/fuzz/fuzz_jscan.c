/*
 * libFuzzer target: the JSON scanner. Whatever js_parse accepts is walked
 * value by value, and everything the other calls say of a value must agree
 * with its container and with the value parsed on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int holds(const char *p, size_t n, const char *what)
{
    size_t w = strlen(what), i;

    for (i = 0; i + w <= n; i++)
        if (memcmp(p + i, what, w) == 0)
            return 1;
    return 0;
}

/* The kind the first byte of a value gives it. */
static int kind_of(char c)
{
    switch (c) {
    case '{':
        return JS_OBJECT;
    case '[':
        return JS_ARRAY;
    case '"':
        return JS_STRING;
    case 't':
        return JS_TRUE;
    case 'f':
        return JS_FALSE;
    case 'n':
        return JS_NULL;
    default:
        return JS_NUMBER;
    }
}

/* Replacing value v with `with` leaves the text `len` bytes long and valid. */
static void check_edit(const char *text, size_t len, const js_val *v, const char *with)
{
    js_edit e;
    js_val out;
    size_t n = 0;
    char *t;

    e.off = v->off;
    e.len = v->len;
    e.with = with;
    e.wlen = (uint32_t)strlen(with);
    t = js_apply(text, len, &e, 1, &n);
    check(t != NULL && n == len - v->len + e.wlen && t[n] == '\0');
    check(js_parse(t, n, &out) == WSS_OK);
    wss_free(t);
}

static void check_string(const char *text, const js_val *s)
{
    char *buf = malloc(s->len);
    int n;

    check(buf != NULL);
    /* The unescaped text is never longer than the quoted one. */
    n = js_str_copy(text, s, buf, s->len);
    if (n < 0) {
        check(holds(text + s->off, s->len, "\\u0000"));
    } else {
        check((size_t)n == strlen(buf) && (uint32_t)n <= s->len - 2);
        check(js_str_is(text, s, buf));
        /* One byte less room than it needs: refused. */
        check(js_str_copy(text, s, buf, (size_t)n) == -1);
        check(n == 0 || !js_str_is(text, s, buf));
    }
    free(buf);
}

static void walk(const char *text, size_t len, const js_val *v, int depth)
{
    js_val alone, k, x, got;
    uint32_t pos = 0, prev, end;
    char *name;

    check(depth <= JS_MAX_DEPTH && v->len > 0 && (size_t)v->off + v->len <= len);
    check(v->kind == kind_of(text[v->off]));
    check(js_parse(text + v->off, v->len, &alone) == WSS_OK);
    check(alone.kind == v->kind && alone.off == 0 && alone.len == v->len);
    check(js_same(text, v, text, v));
    if (v->kind == JS_STRING) {
        check_string(text, v);
        return;
    }
    if (v->kind != JS_OBJECT && v->kind != JS_ARRAY)
        return;
    check(depth < JS_MAX_DEPTH);
    prev = v->off + 1;
    end = v->off + v->len - 1;
    while (js_next(text, v, &pos, &k, &x)) {
        check(x.off >= prev && x.off + x.len <= end && x.len > 0);
        if (v->kind == JS_OBJECT) {
            check(k.kind == JS_STRING && k.off >= prev && k.off + k.len < x.off);
            walk(text, len, &k, depth + 1);
            name = malloc(k.len);
            check(name != NULL);
            if (js_str_copy(text, &k, name, k.len) >= 0) {
                check(js_get(text, v, name, &got) >= 1);
                check(got.off <= x.off && got.kind != JS_NONE);
            }
            free(name);
        } else {
            check(k.kind == JS_NONE);
        }
        walk(text, len, &x, depth + 1);
        check_edit(text, len, &x, "0");
        prev = x.off + x.len;
    }
    /* Only whitespace is left before the closing bracket. */
    for (; prev < end; prev++)
        check(strchr(" \t\r\n", text[prev]) != NULL && text[prev] != '\0');
    check(js_next(text, v, &pos, &k, &x) == 0 && x.kind == JS_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    js_val v;
    js_edit same;
    size_t n = 0;
    char *t;

    if (js_parse(text, size, &v) != WSS_OK)
        return 0;
    walk(text, size, &v, 0);
    /* A no-op edit, or none, gives the same text back. */
    same.off = v.off;
    same.len = v.len;
    same.with = text + v.off;
    same.wlen = v.len;
    t = js_apply(text, size, &same, 1, &n);
    check(t != NULL && n == size && memcmp(t, text, size) == 0 && t[n] == '\0');
    wss_free(t);
    t = js_apply(text, size, NULL, 0, &n);
    check(t != NULL && n == size && memcmp(t, text, size) == 0);
    wss_free(t);
    return 0;
}
