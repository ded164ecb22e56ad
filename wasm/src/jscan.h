/*
 * A JSON scanner for the protocol profiles: it validates a frame's text once,
 * then finds values in it by their place in the text, so that a profile can
 * read a field and rewrite it (an id) without parsing the rest into a tree or
 * printing it again. Numbers, strings and key order elsewhere in the frame
 * stay byte for byte what the sender wrote. Nothing here allocates except
 * js_apply.
 */
#ifndef WSS_JSCAN_H
#define WSS_JSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is refused: the scanner's stack is bounded. */
#define JS_MAX_DEPTH 64

enum js_kind { JS_NONE = 0, JS_OBJECT, JS_ARRAY, JS_STRING, JS_NUMBER, JS_TRUE, JS_FALSE, JS_NULL };

/* A value inside a text: its kind and its bytes text[off, off + len), a
 * string's quotes included. */
typedef struct js_val {
    int kind;
    uint32_t off;
    uint32_t len;
} js_val;

/* Checks that text[0, len) is exactly one JSON value (RFC 8259: whitespace
 * around it allowed, strings valid UTF-8 with valid escapes, nesting at most
 * JS_MAX_DEPTH) and gives it in *out, its whitespace left out. WSS_EINVAL for
 * anything else (*out is then JS_NONE), and for len above UINT32_MAX; linear
 * in len. The other functions take values js_parse accepted, or values inside
 * them, with the same text. */
int js_parse(const char *text, size_t len, js_val *out);

/* Steps through an object's members or an array's elements: *pos starts at 0;
 * returns 1 with the next one (an object's key, a JS_STRING, in *key when key
 * is not NULL; *key is JS_NONE for an array), 0 after the last, and 0 again
 * when called once more. *pos is where the last value ended, counted from the
 * container's start: keep it, don't make it. With 0, *key and *value (either
 * may be NULL) are JS_NONE; a value that is no container gives 0 at once. */
int js_next(const char *text, const js_val *container, uint32_t *pos, js_val *key, js_val *value);

/* The member of object `obj` whose key, unescaped, is `name`: the first one
 * in *value (JS_NONE when there is none; value may be NULL). Returns how many
 * members have that key: more than 1 means duplicate keys, which a profile
 * treats as ambiguous. A key holding U+0000 matches no name. 0 when obj is no
 * object. */
int js_get(const char *text, const js_val *obj, const char *name, js_val *value);

/* Whether string value `s`, unescaped, is exactly `lit` (0 when s is no
 * string, or holds U+0000, which lit cannot). */
int js_str_is(const char *text, const js_val *s, const char *lit);

/* Unescapes string value `s` into buf (cap bytes, NUL-terminated); returns its
 * byte length, or -1 when it does not fit (it needs length + 1 bytes), holds a
 * NUL, or s is no string; buf is then "" when cap > 0. A string's unescaped
 * length is never more than s->len - 2, so cap = s->len always fits. */
int js_str_copy(const char *text, const js_val *s, char *buf, size_t cap);

/* Whether two values are byte for byte the same text. A JS_NONE value (a
 * member js_get did not find) is the same as nothing, not even another one. */
int js_same(const char *a_text, const js_val *a, const char *b_text, const js_val *b);

/* One replacement: text[off, off + len) becomes with[0, wlen). */
typedef struct js_edit {
    uint32_t off;
    uint32_t len;
    const char *with;
    uint32_t wlen;
} js_edit;

/* A new text (wss_malloc'd, NUL-terminated, its length in *out_len when
 * out_len is not NULL): `text` with the edits made. The edits are sorted by
 * offset and do not overlap; insertions (len 0) at one offset go in the order
 * given. NULL (and *out_len 0) when out of memory, or when the edits break
 * those rules or reach past len: nothing is allocated then. */
char *js_apply(const char *text, size_t len, const js_edit *edits, size_t n, size_t *out_len);

/* ---- shared by the protocol profiles (pbuf.c) ---- */

/* A wss_malloc'd, NUL-terminated copy of s[0, n); NULL when out of memory. */
char *prof_dup(const char *s, uint32_t n);

/* Writes v in decimal into out (20 bytes); returns its length. */
uint32_t prof_digits(uint64_t v, char *out);

/* A wire id as the profiles write them, s[0, n): 1 to 19 digits, no leading
 * zero; 0 for anything else. */
uint64_t prof_wire(const char *s, uint32_t n);

#endif
