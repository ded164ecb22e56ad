/*
 * The JSON scanner: one strict, iterative validation pass in js_parse, then
 * lookups that scan the text they know to be valid. Lookups still never read
 * outside the value they are given, so a caller's mistake cannot make them
 * run off the text.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"

typedef const unsigned char *bytes;

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static uint32_t skip_ws(bytes s, uint32_t i, uint32_t end)
{
    while (i < end && is_ws(s[i]))
        i++;
    return i;
}

/* The value of a hex digit, or -1. */
static int hex_val(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20; /* a lower case letter */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at s[i], or -1 when they are not four hex digits. */
static long hex4(bytes s, uint32_t i, uint32_t end)
{
    long v = 0;
    uint32_t k;

    if (end - i < 4)
        return -1;
    for (k = 0; k < 4; k++) {
        int d = hex_val(s[i + k]);

        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* ---- validation ------------------------------------------------------------ */

/* The length of the UTF-8 sequence at s[i] (2 to 4), or 0 when it is not a
 * shortest form of a scalar value: overlongs, surrogates and anything past
 * U+10FFFF are refused, as RFC 3629 asks. */
static uint32_t utf8_len(bytes s, uint32_t i, uint32_t end)
{
    unsigned c = s[i];
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    uint32_t need, k;

    /* A continuation byte, C0/C1 (overlong), or F5 and up. */
    if (c < 0xC2 || c > 0xF4)
        return 0;
    need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (c == 0xE0)
        lo = 0xA0; /* below: overlong */
    else if (c == 0xED)
        hi = 0x9F; /* above: a surrogate */
    else if (c == 0xF0)
        lo = 0x90; /* below: overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above: past U+10FFFF */
    if (end - i < need)
        return 0;
    for (k = 1; k < need; k++) {
        if (s[i + k] < lo || s[i + k] > hi)
            return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

/* A string starting at s[*pos] (its opening quote); on success *pos is just
 * past its closing quote. */
static int check_string(bytes s, uint32_t *pos, uint32_t end)
{
    uint32_t i = *pos + 1;

    while (i < end) {
        unsigned char c = s[i];

        if (c == '"') {
            *pos = i + 1;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (end - i < 2)
                return 0;
            c = s[i + 1];
            if (c == 'u') {
                long u = hex4(s, i + 2, end);

                if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
                    return 0; /* not hex, or a low surrogate alone */
                i += 6;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    long l;

                    /* A high surrogate must be followed by a low one. */
                    if (end - i < 6 || s[i] != '\\' || s[i + 1] != 'u')
                        return 0;
                    l = hex4(s, i + 2, end);
                    if (l < 0xDC00 || l > 0xDFFF)
                        return 0;
                    i += 6;
                }
            } else if (c != 0 && strchr("\"\\/bfnrt", c) != NULL) {
                i += 2;
            } else {
                return 0;
            }
        } else if (c < 0x80) {
            i++;
        } else {
            uint32_t k = utf8_len(s, i, end);

            if (k == 0)
                return 0;
            i += k;
        }
    }
    return 0; /* no closing quote */
}

/* Just past the digits at s[i]. */
static uint32_t skip_digits(bytes s, uint32_t i, uint32_t end)
{
    while (i < end && is_digit(s[i]))
        i++;
    return i;
}

/* A number starting at s[*pos], per the grammar: -? (0 | [1-9][0-9]*)
 * (. [0-9]+)? ([eE] [+-]? [0-9]+)?. What follows it is the caller's to check;
 * a leading zero before more digits is refused here, as the caller would. */
static int check_number(bytes s, uint32_t *pos, uint32_t end)
{
    uint32_t i = *pos, j;

    if (i < end && s[i] == '-')
        i++;
    j = skip_digits(s, i, end);
    if (j == i || (s[i] == '0' && j > i + 1))
        return 0;
    i = j;
    if (i < end && s[i] == '.') {
        j = skip_digits(s, ++i, end);
        if (j == i)
            return 0;
        i = j;
    }
    if (i < end && (s[i] | 0x20) == 'e') {
        i++;
        if (i < end && (s[i] == '+' || s[i] == '-'))
            i++;
        j = skip_digits(s, i, end);
        if (j == i)
            return 0;
        i = j;
    }
    *pos = i;
    return 1;
}

/* true, false or null at s[*pos], whose first letter is right. */
static int check_word(bytes s, uint32_t *pos, uint32_t end)
{
    const char *word = s[*pos] == 't' ? "true" : s[*pos] == 'f' ? "false" : "null";
    uint32_t n = (uint32_t)strlen(word);

    if (end - *pos < n || memcmp(s + *pos, word, n) != 0)
        return 0;
    *pos += n;
    return 1;
}

/* The kind a valid value starting with byte c has. */
static int kind_of(unsigned char c)
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

enum { ST_VALUE, ST_KEY, ST_AFTER };

int js_parse(const char *text, size_t len, js_val *out)
{
    bytes s = (bytes)text;
    /* The open containers, innermost last: 1 for an object, 0 for an array.
     * The explicit stack keeps the depth bounded whatever the input. */
    unsigned char stack[JS_MAX_DEPTH];
    uint32_t depth = 0, i, end, start;
    int state = ST_VALUE;

    if (out != NULL) {
        out->kind = JS_NONE;
        out->off = 0;
        out->len = 0;
    }
    if ((text == NULL && len != 0) || (uint64_t)len > UINT32_MAX)
        return WSS_EINVAL;
    end = (uint32_t)len;
    i = skip_ws(s, 0, end);
    start = i;
    for (;;) {
        if (state == ST_VALUE) {
            i = skip_ws(s, i, end);
            if (i >= end)
                return WSS_EINVAL;
            switch (s[i]) {
            case '{':
            case '[':
                if (depth == JS_MAX_DEPTH)
                    return WSS_EINVAL;
                stack[depth++] = s[i] == '{';
                i = skip_ws(s, i + 1, end);
                if (i < end && s[i] == (stack[depth - 1] ? '}' : ']')) {
                    depth--;
                    i++;
                    state = ST_AFTER;
                } else {
                    state = stack[depth - 1] ? ST_KEY : ST_VALUE;
                }
                continue;
            case '"':
                if (!check_string(s, &i, end))
                    return WSS_EINVAL;
                break;
            case 't':
            case 'f':
            case 'n':
                if (!check_word(s, &i, end))
                    return WSS_EINVAL;
                break;
            default:
                if (!check_number(s, &i, end))
                    return WSS_EINVAL;
                break;
            }
            state = ST_AFTER;
        } else if (state == ST_KEY) {
            i = skip_ws(s, i, end);
            if (i >= end || s[i] != '"' || !check_string(s, &i, end))
                return WSS_EINVAL;
            i = skip_ws(s, i, end);
            if (i >= end || s[i] != ':')
                return WSS_EINVAL;
            i++;
            state = ST_VALUE;
        } else {
            if (depth == 0)
                break;
            i = skip_ws(s, i, end);
            if (i >= end)
                return WSS_EINVAL;
            if (s[i] == ',') {
                i++;
                state = stack[depth - 1] ? ST_KEY : ST_VALUE;
            } else if (s[i] == (stack[depth - 1] ? '}' : ']')) {
                i++;
                depth--;
            } else {
                return WSS_EINVAL;
            }
        }
    }
    /* One value and nothing after it but whitespace. */
    if (skip_ws(s, i, end) != end)
        return WSS_EINVAL;
    if (out != NULL) {
        out->kind = kind_of(s[start]);
        out->off = start;
        out->len = i - start;
    }
    return WSS_OK;
}

/* ---- scanning valid text --------------------------------------------------- */

/* Just past the string whose opening quote is at s[i], or end if it does not
 * close before end. */
static uint32_t skip_string(bytes s, uint32_t i, uint32_t end)
{
    for (i++; i < end; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return end;
}

/* Just past the value starting at s[i], within end. */
static uint32_t skip_value(bytes s, uint32_t i, uint32_t end)
{
    uint32_t depth = 0;

    if (i >= end)
        return end;
    if (s[i] == '"')
        return skip_string(s, i, end);
    if (s[i] != '{' && s[i] != '[') {
        /* A number or a word: it ends where a delimiter starts. */
        while (i < end && s[i] != ',' && s[i] != ']' && s[i] != '}' && !is_ws(s[i]))
            i++;
        return i;
    }
    /* Brackets balance in valid text; only those outside strings count. */
    while (i < end) {
        unsigned char c = s[i];

        if (c == '"') {
            i = skip_string(s, i, end);
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
        i++;
    }
    return end;
}

static void set_none(js_val *v)
{
    if (v != NULL) {
        v->kind = JS_NONE;
        v->off = 0;
        v->len = 0;
    }
}

int js_next(const char *text, const js_val *container, uint32_t *pos, js_val *key, js_val *value)
{
    bytes s = (bytes)text;
    uint32_t i, end, close, k0, v0;
    int obj;

    set_none(key);
    set_none(value);
    if (text == NULL || container == NULL || pos == NULL ||
        (container->kind != JS_OBJECT && container->kind != JS_ARRAY) || container->len < 2 ||
        (uint64_t)container->off + container->len > UINT32_MAX)
        return 0;
    obj = container->kind == JS_OBJECT;
    close = container->off + container->len - 1; /* the closing bracket */
    end = close;
    /* *pos is where the last value ended, counted from the container's start,
     * so that 0 can mean "before the first". */
    if (*pos == 0)
        i = container->off + 1;
    else if (*pos <= container->len)
        i = container->off + *pos;
    else
        return 0;
    i = skip_ws(s, i, end);
    if (i >= end)
        return 0;
    if (*pos != 0) {
        if (s[i] != ',')
            return 0;
        i = skip_ws(s, i + 1, end);
        if (i >= end)
            return 0;
    }
    if (obj) {
        if (s[i] != '"')
            return 0;
        k0 = i;
        i = skip_string(s, i, end);
        if (key != NULL) {
            key->kind = JS_STRING;
            key->off = k0;
            key->len = i - k0;
        }
        i = skip_ws(s, i, end);
        if (i >= end || s[i] != ':') {
            set_none(key);
            return 0;
        }
        i = skip_ws(s, i + 1, end);
        if (i >= end) {
            set_none(key);
            return 0;
        }
    }
    v0 = i;
    i = skip_value(s, i, end);
    if (value != NULL) {
        value->kind = kind_of(s[v0]);
        value->off = v0;
        value->len = i - v0;
    }
    *pos = i - container->off;
    return 1;
}

/* ---- unescaping ------------------------------------------------------------ */

/* Writes code point u as UTF-8 into out; returns its byte count. */
static uint32_t put_utf8(unsigned long u, unsigned char out[4])
{
    uint32_t n = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4, k;

    if (n == 1) {
        out[0] = (unsigned char)u;
        return 1;
    }
    for (k = n - 1; k > 0; k--) {
        out[k] = (unsigned char)(0x80 | (u & 0x3F));
        u >>= 6;
    }
    /* The lead byte: n ones, a zero, then the highest bits. */
    out[0] = (unsigned char)(((0xFF00u >> n) & 0xFFu) | u);
    return n;
}

/* The next unescaped bytes of a valid string's body at s[*i] (before end, its
 * closing quote) into out; returns their count, 0 at the end. Raw bytes come
 * one at a time: they are valid UTF-8 already. */
static uint32_t next_unit(bytes s, uint32_t *i, uint32_t end, unsigned char out[4])
{
    unsigned char c;
    long u, l;

    if (*i >= end)
        return 0;
    c = s[*i];
    if (c != '\\' || end - *i < 2) {
        out[0] = c;
        *i += 1;
        return 1;
    }
    c = s[*i + 1];
    if (c != 'u') {
        const char *esc = c != 0 ? strchr("bfnrt", c) : NULL;

        out[0] = esc != NULL ? (unsigned char)"\b\f\n\r\t"[esc - "bfnrt"] : c; /* or \" \\ \/ */
        *i += 2;
        return 1;
    }
    u = hex4(s, *i + 2, end);
    if (u < 0) {
        /* Not in valid text; give the backslash as it is rather than fail. */
        out[0] = '\\';
        *i += 1;
        return 1;
    }
    *i += 6;
    if (u >= 0xD800 && u <= 0xDBFF && end - *i >= 6 && s[*i] == '\\' && s[*i + 1] == 'u') {
        l = hex4(s, *i + 2, end);
        if (l >= 0xDC00 && l <= 0xDFFF) {
            *i += 6;
            return put_utf8(0x10000 + (((unsigned long)u - 0xD800) << 10) +
                                ((unsigned long)l - 0xDC00),
                            out);
        }
    }
    return put_utf8((unsigned long)u, out);
}

/* The body of string value v: [*b, *e) between its quotes; 0 when v is not one. */
static int string_body(const js_val *v, uint32_t *b, uint32_t *e)
{
    if (v == NULL || v->kind != JS_STRING || v->len < 2 ||
        (uint64_t)v->off + v->len > UINT32_MAX)
        return 0;
    *b = v->off + 1;
    *e = v->off + v->len - 1;
    return 1;
}

int js_str_is(const char *text, const js_val *s, const char *lit)
{
    bytes t = (bytes)text;
    uint32_t i, end, n, k;
    size_t j = 0;
    unsigned char unit[4];

    if (text == NULL || lit == NULL || !string_body(s, &i, &end))
        return 0;
    while ((n = next_unit(t, &i, end, unit)) != 0) {
        for (k = 0; k < n; k++, j++) {
            /* lit ending here, or a U+0000 lit cannot hold: no match. */
            if (lit[j] == '\0' || (unsigned char)lit[j] != unit[k])
                return 0;
        }
    }
    return lit[j] == '\0';
}

int js_str_copy(const char *text, const js_val *s, char *buf, size_t cap)
{
    bytes t = (bytes)text;
    uint32_t i, end, n, k;
    size_t j = 0;
    unsigned char unit[4];

    if (buf == NULL || cap == 0)
        return -1;
    buf[0] = '\0';
    if (text == NULL || !string_body(s, &i, &end))
        return -1;
    while ((n = next_unit(t, &i, end, unit)) != 0) {
        /* Room for the unit and the terminating NUL, and a length an int holds. */
        if (cap - j <= n || j + n > INT32_MAX) {
            buf[0] = '\0';
            return -1;
        }
        for (k = 0; k < n; k++) {
            if (unit[k] == 0) {
                buf[0] = '\0';
                return -1;
            }
            buf[j++] = (char)unit[k];
        }
    }
    buf[j] = '\0';
    return (int)j;
}

int js_get(const char *text, const js_val *obj, const char *name, js_val *value)
{
    uint32_t pos = 0;
    js_val k, v;
    int count = 0;

    set_none(value);
    if (text == NULL || obj == NULL || name == NULL || obj->kind != JS_OBJECT)
        return 0;
    while (js_next(text, obj, &pos, &k, &v)) {
        if (js_str_is(text, &k, name)) {
            if (count == 0 && value != NULL)
                *value = v;
            if (count < INT32_MAX)
                count++;
        }
    }
    return count;
}

int js_same(const char *a_text, const js_val *a, const char *b_text, const js_val *b)
{
    if (a_text == NULL || b_text == NULL || a == NULL || b == NULL || a->kind == JS_NONE ||
        b->kind == JS_NONE)
        return 0;
    return a->kind == b->kind && a->len == b->len &&
           memcmp(a_text + a->off, b_text + b->off, a->len) == 0;
}

/* ---- editing --------------------------------------------------------------- */

char *js_apply(const char *text, size_t len, const js_edit *edits, size_t n, size_t *out_len)
{
    size_t total = len, at = 0, w = 0, e;
    char *out;

    if (out_len != NULL)
        *out_len = 0;
    if ((text == NULL && len != 0) || (edits == NULL && n != 0))
        return NULL;
    /* Checks the edits first, so that the copy below cannot go wrong. */
    for (e = 0; e < n; e++) {
        const js_edit *d = &edits[e];

        if (d->off < at || d->off > len || d->len > len - d->off ||
            (d->with == NULL && d->wlen != 0))
            return NULL;
        at = (size_t)d->off + d->len;
        total -= d->len;
        if (total > SIZE_MAX - 1 - d->wlen)
            return NULL;
        total += d->wlen;
    }
    out = wss_malloc(total + 1);
    if (out == NULL)
        return NULL;
    at = 0;
    for (e = 0; e < n; e++) {
        const js_edit *d = &edits[e];

        if (d->off > at)
            memcpy(out + w, text + at, d->off - at);
        w += d->off - at;
        if (d->wlen != 0)
            memcpy(out + w, d->with, d->wlen);
        w += d->wlen;
        at = (size_t)d->off + d->len;
    }
    if (len > at)
        memcpy(out + w, text + at, len - at);
    w += len - at;
    out[w] = '\0';
    if (out_len != NULL)
        *out_len = w;
    return out;
}
