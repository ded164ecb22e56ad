/*
 * The JSON scanner: what js_parse accepts and refuses (every kind, the number
 * grammar, escapes, UTF-8, depth), stepping through containers, lookups by
 * unescaped key, copies, edits, and seeded random texts checked against a
 * second, recursive validator, whole and with one byte changed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "internal.h"
#include "jscan.h"

/* ---- helpers ------------------------------------------------------------- */

static int parses_n(const char *t, size_t n)
{
    js_val v;

    return js_parse(t, n, &v) == WSS_OK;
}

static int parses(const char *t)
{
    return parses_n(t, strlen(t));
}

/* Each text of a NULL-ended list is accepted (want 1) or refused (want 0). */
static void check_all(const char *file, int line, const char *const *texts, int want)
{
    size_t i;

    for (i = 0; texts[i] != NULL; i++)
        if (parses(texts[i]) != want)
            check_fail(file, line, "%s: %s", want ? "refused" : "accepted", texts[i]);
}
#define CHECK_ACCEPTED(list) check_all(__FILE__, __LINE__, (list), 1)
#define CHECK_REFUSED(list) check_all(__FILE__, __LINE__, (list), 0)

/* A text in a heap block of exactly its size, so a read past it is caught. */
static char *exact(const char *t, size_t n)
{
    char *p = malloc(n == 0 ? 1 : n);

    if (p != NULL && n != 0)
        memcpy(p, t, n);
    return p;
}

/* The value's bytes as a string, for messages and comparisons. */
static const char *bytes_of(const char *text, const js_val *v)
{
    static char buf[512];
    size_t n = v->len < sizeof buf - 1 ? v->len : sizeof buf - 1;

    memcpy(buf, text + v->off, n);
    buf[n] = '\0';
    return buf;
}

/* ---- what js_parse accepts ------------------------------------------------- */

static void jscan_should_accept_every_kind_and_give_its_bytes(void)
{
    static const struct {
        const char *text;
        int kind;
    } cases[] = {
        {"{\"a\":1}", JS_OBJECT}, {"[1,2]", JS_ARRAY}, {"\"x\"", JS_STRING},
        {"-1.5e3", JS_NUMBER},   {"true", JS_TRUE},   {"false", JS_FALSE},
        {"null", JS_NULL},       {"{}", JS_OBJECT},   {"[]", JS_ARRAY},
        {"\"\"", JS_STRING},     {"0", JS_NUMBER},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        js_val v;

        CHECK_EQ(js_parse(cases[i].text, strlen(cases[i].text), &v), WSS_OK);
        CHECK_EQ(v.kind, cases[i].kind);
        CHECK_EQ(v.off, 0);
        CHECK_EQ(v.len, strlen(cases[i].text));
    }
}

static void jscan_should_allow_whitespace_around_and_inside_a_value(void)
{
    const char *t = " \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] , \"b\" : { } }\n\t ";
    js_val v;

    CHECK_EQ(js_parse(t, strlen(t), &v), WSS_OK);
    CHECK_EQ(v.kind, JS_OBJECT);
    CHECK_EQ(v.off, 4);
    CHECK_STR(bytes_of(t, &v), "{ \"a\" :\t[ 1 ,\r\n2 ] , \"b\" : { } }");
    CHECK_EQ(js_parse("  7  ", 5, &v), WSS_OK);
    CHECK_EQ(v.kind, JS_NUMBER);
    CHECK_EQ(v.off, 2);
    CHECK_EQ(v.len, 1);
}

static void jscan_should_refuse_an_empty_text_and_whitespace_of_other_kinds(void)
{
    static const char *const bad[] = {
        "", " ", "\r\n\t ", "\v1", "1\f", "\xC2\xA0" "1", "\xEF\xBB\xBF" "1", "[1,\v2]", NULL,
    };
    js_val v;

    CHECK_REFUSED(bad);
    CHECK_EQ(js_parse(NULL, 0, &v), WSS_EINVAL);
    CHECK_EQ(v.kind, JS_NONE);
}

static void jscan_should_refuse_trailing_garbage(void)
{
    static const char *const bad[] = {
        "1 x", "{}}", "[]]", "truex", "nulll", "\"a\"b", "1,", "{},", "[1]:", "0x", NULL,
    };

    CHECK_REFUSED(bad);
    CHECK(!parses_n("1\0", 2));
    CHECK(!parses_n("[1,\0" "2]", 6));
    CHECK(!parses_n("\0" "1", 2));
}

static void jscan_should_refuse_two_values(void)
{
    static const char *const bad[] = {
        "1 2", "{} {}", "\"a\"\"b\"", "[] []", "true false", "null\nnull", "{}[]", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_accept_numbers_of_the_grammar(void)
{
    static const char *const good[] = {
        "0", "-0", "1", "-1", "123", "0.5", "-0.5", "1e5", "1E5", "1e+5", "1e-5", "1.5e10",
        "0e0", "-0.0e-0", "12345678901234567890123456789", "1.0000000000000000000001",
        "9e999", "[0,-0,1.5,2e2]", NULL,
    };

    CHECK_ACCEPTED(good);
}

static void jscan_should_refuse_numbers_outside_the_grammar(void)
{
    static const char *const bad[] = {
        "01", "-01", "00", "+1", ".5", "1.", "1.e5", "1e", "1e+", "1E-", "-", "--1", "- 1",
        "NaN", "nan", "Infinity", "-Infinity", "0x10", "1_000", "1.5.5", "1e5e5", "0-",
        "[01]", "[1.]", "[-]", "{\"a\":+1}", "1 .5", "\xEF\xBC\x91", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_misspelt_words(void)
{
    static const char *const bad[] = {
        "tru", "True", "TRUE", "nul", "Null", "fals", "falsy", "t", "f", "n", "undefined",
        "[tru]", "[nulL]", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_broken_structure(void)
{
    static const char *const bad[] = {
        "{", "[", "}", "]", ":", ",", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{1:2}", "{a:1}",
        "[1,]", "[,1]", "[,]", "{,}", "{\"a\":1,}", "[1 2]", "[1:2]", "{\"a\":1 \"b\":2}",
        "{\"a\",1}", "\"abc", "[\"a]", "{\"a\"::1}", "[1]]", "[[1]", "{\"a\":1}}", "{]", "[}",
        "{\"a\":[}", "'a'", "{'a':1}", "[1,,2]", NULL,
    };

    CHECK_REFUSED(bad);
}

/* ---- strings ----------------------------------------------------------------- */

static void jscan_should_accept_every_escape(void)
{
    static const char *const good[] = {
        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\"\\u0041\\u00e9\\u00E9\\u20AC\"",
        "\"\\uD83D\\uDE00\"", "\"\\udbff\\udfff\"", "\"\\u0000\"", "\"a\\u0062c\"", NULL,
    };

    CHECK_ACCEPTED(good);
}

static void jscan_should_refuse_bad_escapes(void)
{
    static const char *const bad[] = {
        "\"\\x41\"", "\"\\a\"", "\"\\'\"", "\"\\U0041\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\u 123\"", "\"\\", "\"\\\"", "\"\\0\"", "\"\\ \"", "\"\\u004\"", "\"\\u\"",
        "\"\\e\"", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_a_lone_surrogate_escape(void)
{
    static const char *const bad[] = {
        "\"\\uD800\"", "\"\\uDC00\"", "\"\\uDFFF\"", "\"\\uD800x\"", "\"\\uD800\\u0041\"",
        "\"\\uD800\\uD800\"", "\"\\uDBFF", "\"\\uD800\\n\"", "\"\\uD800\\\"", "\"\\uD800\\u\"",
        "\"\\uDE00\\uD83D\"", "\"a\\udc80b\"", "\"\\uD800\\uDC0\"", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_control_characters_in_strings(void)
{
    char t[4] = {'"', 0, '"', 0};
    int c;

    for (c = 0; c < 0x20; c++) {
        t[1] = (char)c;
        if (parses_n(t, 3))
            check_fail(__FILE__, __LINE__, "accepted control character 0x%02x", c);
    }
    t[1] = 0x7F; /* DEL is not a control character to RFC 8259 */
    CHECK(parses_n(t, 3));
}

static void jscan_should_accept_valid_utf8_at_every_boundary(void)
{
    static const char *const good[] = {
        "\"\xC2\x80\"",         /* U+0080 */
        "\"\xDF\xBF\"",         /* U+07FF */
        "\"\xE0\xA0\x80\"",     /* U+0800 */
        "\"\xED\x9F\xBF\"",     /* U+D7FF */
        "\"\xEE\x80\x80\"",     /* U+E000 */
        "\"\xEF\xBF\xBF\"",     /* U+FFFF */
        "\"\xF0\x90\x80\x80\"", /* U+10000 */
        "\"\xF4\x8F\xBF\xBF\"", /* U+10FFFF */
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
        "{\"\xC3\xA9\":\"\xE6\x97\xA5\"}", NULL,
    };

    CHECK_ACCEPTED(good);
}

static void jscan_should_refuse_overlong_utf8(void)
{
    static const char *const bad[] = {
        "\"\xC0\x80\"", "\"\xC0\xAF\"", "\"\xC1\xBF\"", "\"\xE0\x80\x80\"", "\"\xE0\x9F\xBF\"",
        "\"\xF0\x80\x80\x80\"", "\"\xF0\x8F\xBF\xBF\"", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_surrogates_encoded_in_utf8(void)
{
    static const char *const bad[] = {
        "\"\xED\xA0\x80\"", "\"\xED\xAF\xBF\"", "\"\xED\xB0\x80\"", "\"\xED\xBF\xBF\"",
        "\"\xED\xA0\xBD\xED\xB8\x80\"", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_utf8_past_u10ffff(void)
{
    static const char *const bad[] = {
        "\"\xF4\x90\x80\x80\"", "\"\xF4\xBF\xBF\xBF\"", "\"\xF5\x80\x80\x80\"",
        "\"\xF7\xBF\xBF\xBF\"", "\"\xF8\x88\x80\x80\x80\"", "\"\xFC\x84\x80\x80\x80\x80\"",
        "\"\xFE\"", "\"\xFF\"", NULL,
    };

    CHECK_REFUSED(bad);
}

static void jscan_should_refuse_truncated_and_stray_utf8(void)
{
    static const char *const bad[] = {
        "\"\x80\"", "\"\xBF\"", "\"a\x80" "b\"", "\"\xC2\"", "\"\xE0\xA0\"", "\"\xF0\x90\x80\"",
        "\"\xC2\x41\"", "\"\xE1\x80\x41\"", "\"\xF1\x80\x80\x41\"", "\"\xC3\xC3\xA9\"",
        "\"\xE2\x82\"", "\"\xC2\xC0\"", NULL,
    };

    CHECK_REFUSED(bad);
    /* A sequence cut by the end of the text, without its closing quote. */
    CHECK(!parses_n("\"\xF0\x9F\x98", 4));
    CHECK(!parses_n("\"\xC3", 2));
}

/* The edges of the compact checks: an escape cut by a NUL, the tight range
 * of a second byte only (later ones take any continuation byte), and numbers
 * whose leading zero is followed by more digits. */
static void jscan_should_hold_the_edges_of_its_compact_checks(void)
{
    static const char *const good[] = {
        "\"\xE0\xA0\xBF\"", "\"\xED\x80\xBF\"", "\"\xF0\x90\xBF\xBF\"", "\"\xF4\x80\xBF\x80\"",
        "0e0", "0E+1", "-0.0e-0", "10", NULL,
    };
    static const char *const bad[] = {
        "\"\xE0\xA0\x7F\"", "\"\xF4\x80\xC0\x80\"", "\"\xF0\x90\x80\xC0\"", "01e1", "-00.5", "0x1",
        "1f", "\"\\x\"", "\"\\u00G0\"", NULL,
    };
    static const char esc[] = "\"\\b\\f\\n\\r\\t\\/\\u00AF\"";
    js_val v;
    char buf[9];

    CHECK_ACCEPTED(good);
    CHECK_REFUSED(bad);
    CHECK(!parses_n("\"\\\0\"", 4));
    CHECK_EQ(js_parse(esc, sizeof esc - 1, &v), WSS_OK);
    CHECK_EQ(js_str_copy(esc, &v, buf, sizeof buf), 8);
    CHECK(memcmp(buf, "\b\f\n\r\t/\xC2\xAF", 8) == 0);
}

static void jscan_should_refuse_raw_utf8_outside_strings(void)
{
    static const char *const bad[] = {"\xC3\xA9", "[\xC3\xA9]", "{\xC3\xA9:1}", NULL};

    CHECK_REFUSED(bad);
}

/* ---- depth and size ---------------------------------------------------------- */

/* n arrays nested, or objects and arrays by turns ({"a":[{"a":[...]}]}). */
static char *nested(int n, int mixed, size_t *len)
{
    char *t = malloc((size_t)n * 6 + 2);
    size_t k = 0;
    int i;

    if (t == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (mixed && i % 2 == 0) {
            memcpy(t + k, "{\"a\":", 5);
            k += 5;
        } else {
            t[k++] = '[';
        }
    }
    t[k++] = '1';
    for (i = n - 1; i >= 0; i--)
        t[k++] = mixed && i % 2 == 0 ? '}' : ']';
    *len = k;
    return t;
}

static void jscan_should_accept_nesting_of_exactly_64(void)
{
    size_t n;
    char *t = nested(JS_MAX_DEPTH, 0, &n);
    js_val v;

    REQUIRE(t != NULL);
    CHECK_EQ(JS_MAX_DEPTH, 64);
    CHECK_EQ(js_parse(t, n, &v), WSS_OK);
    CHECK_EQ(v.len, n);
    free(t);
    t = nested(JS_MAX_DEPTH, 1, &n);
    REQUIRE(t != NULL);
    CHECK_EQ(js_parse(t, n, &v), WSS_OK);
    free(t);
}

static void jscan_should_refuse_nesting_past_64(void)
{
    size_t n;
    char *t = nested(JS_MAX_DEPTH + 1, 0, &n);

    REQUIRE(t != NULL);
    CHECK(!parses_n(t, n));
    free(t);
    t = nested(JS_MAX_DEPTH + 1, 1, &n);
    REQUIRE(t != NULL);
    CHECK(!parses_n(t, n));
    free(t);
    /* Far deeper: refused without a stack that grows with the text. */
    t = nested(1000000, 0, &n);
    REQUIRE(t != NULL);
    CHECK(!parses_n(t, n));
    free(t);
}

static void jscan_should_count_depth_down_again_when_containers_close(void)
{
    /* 64 deep twice in a row, inside one array: depth 65 never happens. */
    size_t n, k;
    char *inner = nested(JS_MAX_DEPTH - 1, 0, &n);
    char *t = malloc(2 * n + 3);

    REQUIRE(inner != NULL && t != NULL);
    k = 0;
    t[k++] = '[';
    memcpy(t + k, inner, n);
    k += n;
    t[k++] = ',';
    memcpy(t + k, inner, n);
    k += n;
    t[k++] = ']';
    CHECK(parses_n(t, k));
    free(inner);
    free(t);
}

static void jscan_should_refuse_sizes_above_uint32_max(void)
{
    js_val v;

    /* The size alone refuses it: nothing is read. */
    if (sizeof(size_t) > 4) {
        CHECK_EQ(js_parse("1", (size_t)((uint64_t)UINT32_MAX + 1), &v), WSS_EINVAL);
        CHECK_EQ(v.kind, JS_NONE);
    }
}

/* ---- stepping through containers ---------------------------------------------- */

static void jscan_should_step_through_an_object(void)
{
    const char *t = "{\"a\":1, \"bb\" : \"x\",\"c\":[true],\"d\":{\"e\":null},\"f\":false}";
    static const char *const keys[] = {"\"a\"", "\"bb\"", "\"c\"", "\"d\"", "\"f\""};
    static const char *const vals[] = {"1", "\"x\"", "[true]", "{\"e\":null}", "false"};
    static const int kinds[] = {JS_NUMBER, JS_STRING, JS_ARRAY, JS_OBJECT, JS_FALSE};
    js_val o, k, v;
    uint32_t pos = 0;
    int i = 0;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    while (js_next(t, &o, &pos, &k, &v)) {
        REQUIRE(i < 5);
        CHECK_EQ(k.kind, JS_STRING);
        CHECK_STR(bytes_of(t, &k), keys[i]);
        CHECK_EQ(v.kind, kinds[i]);
        CHECK_STR(bytes_of(t, &v), vals[i]);
        i++;
    }
    CHECK_EQ(i, 5);
    /* Past the end it stays at the end. */
    CHECK_EQ(js_next(t, &o, &pos, &k, &v), 0);
    CHECK_EQ(k.kind, JS_NONE);
    CHECK_EQ(v.kind, JS_NONE);
}

static void jscan_should_step_through_an_array(void)
{
    const char *t = "[ 1 ,\"a\",true,false,null,-2.5e-3,[],{} ]";
    static const char *const vals[] = {"1", "\"a\"", "true", "false", "null", "-2.5e-3", "[]", "{}"};
    static const int kinds[] = {JS_NUMBER, JS_STRING, JS_TRUE,  JS_FALSE,
                                JS_NULL,   JS_NUMBER, JS_ARRAY, JS_OBJECT};
    js_val a, k, v;
    uint32_t pos = 0;
    int i = 0;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    while (js_next(t, &a, &pos, &k, &v)) {
        REQUIRE(i < 8);
        CHECK_EQ(k.kind, JS_NONE);
        CHECK_EQ(v.kind, kinds[i]);
        CHECK_STR(bytes_of(t, &v), vals[i]);
        i++;
    }
    CHECK_EQ(i, 8);
}

static void jscan_should_step_through_empty_containers(void)
{
    static const char *const empty[] = {"{}", "[]", "{ }", "[ \n\t]", " { \r\n } "};
    size_t i;

    for (i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        js_val c, k, v;
        uint32_t pos = 0;

        REQUIRE(js_parse(empty[i], strlen(empty[i]), &c) == WSS_OK);
        CHECK_EQ(js_next(empty[i], &c, &pos, &k, &v), 0);
        CHECK_EQ(v.kind, JS_NONE);
        CHECK_EQ(js_next(empty[i], &c, &pos, &k, &v), 0);
    }
}

static void jscan_should_step_over_nested_containers_whole(void)
{
    const char *t = "{\"a\":{\"b\":\"}]\\\"{[\",\"q\":[\"\\\\\"]},\"c\":[[1,[2]],{\"d\":[]}],"
                    "\"e\":\"x\",\"f\":[\"]\",\"[\",\"\\\\\\\"\"]}";
    static const char *const vals[] = {"{\"b\":\"}]\\\"{[\",\"q\":[\"\\\\\"]}",
                                       "[[1,[2]],{\"d\":[]}]", "\"x\"",
                                       "[\"]\",\"[\",\"\\\\\\\"\"]"};
    js_val o, k, v, in = {0, 0, 0}, x;
    uint32_t pos = 0, p2 = 0;
    int i = 0;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    while (js_next(t, &o, &pos, &k, &v)) {
        REQUIRE(i < 4);
        CHECK_STR(bytes_of(t, &v), vals[i]);
        if (i == 1)
            in = v;
        i++;
    }
    CHECK_EQ(i, 4);
    /* And into the inner array, then its inner array. */
    REQUIRE(js_next(t, &in, &p2, &k, &v));
    CHECK_STR(bytes_of(t, &v), "[1,[2]]");
    x = v;
    REQUIRE(js_next(t, &in, &p2, &k, &v));
    CHECK_STR(bytes_of(t, &v), "{\"d\":[]}");
    CHECK_EQ(js_next(t, &in, &p2, &k, &v), 0);
    p2 = 0;
    REQUIRE(js_next(t, &x, &p2, NULL, &v));
    CHECK_STR(bytes_of(t, &v), "1");
    REQUIRE(js_next(t, &x, &p2, NULL, &v));
    CHECK_STR(bytes_of(t, &v), "[2]");
    CHECK_EQ(js_next(t, &x, &p2, NULL, &v), 0);
}

static void jscan_should_end_numbers_and_words_at_any_delimiter(void)
{
    static const char *const texts[] = {"[1]", "[1 ]", "[1\n]", "[1,2]", "{\"a\":1}",
                                        "{\"a\":1\t}", "[true]", "[null,false]"};
    size_t i;

    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        js_val c, v;
        uint32_t pos = 0;

        REQUIRE(js_parse(texts[i], strlen(texts[i]), &c) == WSS_OK);
        REQUIRE(js_next(texts[i], &c, &pos, NULL, &v));
        CHECK(v.len == 1 || v.len == 4);
        CHECK(texts[i][v.off + v.len] == ']' || texts[i][v.off + v.len] == '}' ||
              texts[i][v.off + v.len] == ',' || texts[i][v.off + v.len] == ' ' ||
              texts[i][v.off + v.len] == '\n' || texts[i][v.off + v.len] == '\t');
    }
}

static void jscan_should_give_nothing_from_a_value_that_is_no_container(void)
{
    const char *t = "\"[1,2]\"";
    js_val s, k, v;
    uint32_t pos = 0;

    REQUIRE(js_parse(t, strlen(t), &s) == WSS_OK);
    CHECK_EQ(js_next(t, &s, &pos, &k, &v), 0);
    CHECK_EQ(k.kind, JS_NONE);
    CHECK_EQ(v.kind, JS_NONE);
    s.kind = JS_NONE;
    CHECK_EQ(js_next(t, &s, &pos, &k, &v), 0);
}

/* ---- lookups ----------------------------------------------------------------- */

static void jscan_should_get_a_member_by_name(void)
{
    const char *t = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"sum\",\"params\":[1,2]}";
    js_val o, v;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    CHECK_EQ(js_get(t, &o, "id", &v), 1);
    CHECK_EQ(v.kind, JS_NUMBER);
    CHECK_STR(bytes_of(t, &v), "42");
    CHECK_EQ(js_get(t, &o, "params", &v), 1);
    CHECK_STR(bytes_of(t, &v), "[1,2]");
    CHECK_EQ(js_get(t, &o, "result", &v), 0);
    CHECK_EQ(v.kind, JS_NONE);
    CHECK_EQ(js_get(t, &o, "", &v), 0);
}

static void jscan_should_get_a_member_by_its_escaped_key(void)
{
    const char *t = "{\"\\u0069d\":1,\"a\\/b\":2,\"\\uD83D\\uDE00\":3,\"caf\xC3\xA9\":4,"
                    "\"caf\\u00e9!\":5,\"\\\"q\\\"\":6,\"\":7,\"t\\tb\":8}";
    js_val o, v;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    CHECK_EQ(js_get(t, &o, "id", &v), 1);
    CHECK_STR(bytes_of(t, &v), "1");
    CHECK_EQ(js_get(t, &o, "a/b", &v), 1);
    CHECK_STR(bytes_of(t, &v), "2");
    CHECK_EQ(js_get(t, &o, "\xF0\x9F\x98\x80", &v), 1);
    CHECK_STR(bytes_of(t, &v), "3");
    CHECK_EQ(js_get(t, &o, "caf\xC3\xA9", &v), 1);
    CHECK_STR(bytes_of(t, &v), "4");
    CHECK_EQ(js_get(t, &o, "caf\xC3\xA9!", &v), 1);
    CHECK_STR(bytes_of(t, &v), "5");
    CHECK_EQ(js_get(t, &o, "\"q\"", &v), 1);
    CHECK_STR(bytes_of(t, &v), "6");
    CHECK_EQ(js_get(t, &o, "", &v), 1);
    CHECK_STR(bytes_of(t, &v), "7");
    CHECK_EQ(js_get(t, &o, "t\tb", &v), 1);
    CHECK_STR(bytes_of(t, &v), "8");
    /* The escaped spelling is not the name. */
    CHECK_EQ(js_get(t, &o, "\\u0069d", &v), 0);
}

static void jscan_should_count_duplicate_keys_and_give_the_first(void)
{
    const char *t = "{\"id\":1,\"x\":{\"id\":9},\"i\\u0064\":3}";
    js_val o, v;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    CHECK_EQ(js_get(t, &o, "id", &v), 2);
    CHECK_STR(bytes_of(t, &v), "1");
    CHECK_EQ(js_get(t, &o, "x", NULL), 1);
}

static void jscan_should_match_no_prefix_and_no_longer_key(void)
{
    const char *t = "{\"idx\":1,\"i\":2,\"Id\":3}";
    js_val o, v;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    CHECK_EQ(js_get(t, &o, "id", &v), 0);
    CHECK_EQ(js_get(t, &o, "idxy", &v), 0);
    CHECK_EQ(js_get(t, &o, "i", &v), 1);
    CHECK_STR(bytes_of(t, &v), "2");
}

static void jscan_should_match_no_name_against_a_key_holding_u0000(void)
{
    const char *t = "{\"a\\u0000b\":1,\"a\\u0000\":2}";
    js_val o, v;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    CHECK_EQ(js_get(t, &o, "a", &v), 0);
    CHECK_EQ(js_get(t, &o, "ab", &v), 0);
}

static void jscan_should_get_nothing_from_a_value_that_is_no_object(void)
{
    const char *t = "[\"id\",1]";
    js_val a, v;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    CHECK_EQ(js_get(t, &a, "id", &v), 0);
    CHECK_EQ(v.kind, JS_NONE);
}

static void jscan_should_compare_strings_unescaped(void)
{
    const char *t = "[\"\",\"abc\",\"a\\u0062c\",\"\\n\",\"\\u00e9\",1,\"\\ud83d\\ude00\"]";
    js_val a, v[7];
    uint32_t pos = 0;
    int i;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    for (i = 0; i < 7; i++)
        REQUIRE(js_next(t, &a, &pos, NULL, &v[i]));
    CHECK(js_str_is(t, &v[0], ""));
    CHECK(!js_str_is(t, &v[0], "a"));
    CHECK(js_str_is(t, &v[1], "abc"));
    CHECK(!js_str_is(t, &v[1], "ab"));
    CHECK(!js_str_is(t, &v[1], "abcd"));
    CHECK(!js_str_is(t, &v[1], "\"abc\""));
    CHECK(js_str_is(t, &v[2], "abc"));
    CHECK(js_str_is(t, &v[3], "\n"));
    CHECK(js_str_is(t, &v[4], "\xC3\xA9"));
    CHECK(!js_str_is(t, &v[5], "1"));
    CHECK(js_str_is(t, &v[6], "\xF0\x9F\x98\x80"));
}

static void jscan_should_copy_a_string_unescaped(void)
{
    const char *t = "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041\\u00e9\\u0800\\u007f\\uFFFF "
                    "\\uD83D\\uDE00 \\uDBFF\\uDFFF \xE6\x97\xA5\"";
    const char *want = "q\" b\\ s/ \b\f\n\r\t A\xC3\xA9\xE0\xA0\x80\x7F\xEF\xBF\xBF "
                       "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xE6\x97\xA5";
    char buf[128];
    js_val s;

    REQUIRE(js_parse(t, strlen(t), &s) == WSS_OK);
    CHECK_EQ(js_str_copy(t, &s, buf, sizeof buf), strlen(want));
    CHECK_STR(buf, want);
    CHECK(js_str_is(t, &s, want));
}

static void jscan_should_copy_a_string_that_fills_the_buffer_exactly(void)
{
    const char *t = "[\"abc\",\"\",\"\\u00e9\"]";
    char buf[8];
    js_val a, s, e, u;
    uint32_t pos = 0;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    REQUIRE(js_next(t, &a, &pos, NULL, &s));
    REQUIRE(js_next(t, &a, &pos, NULL, &e));
    REQUIRE(js_next(t, &a, &pos, NULL, &u));
    memset(buf, 'z', sizeof buf);
    CHECK_EQ(js_str_copy(t, &s, buf, 4), 3);
    CHECK_STR(buf, "abc");
    CHECK_EQ(js_str_copy(t, &s, buf, 3), -1);
    CHECK_STR(buf, "");
    CHECK_EQ(js_str_copy(t, &s, buf, 0), -1);
    CHECK_EQ(js_str_copy(t, &e, buf, 1), 0);
    CHECK_STR(buf, "");
    CHECK_EQ(js_str_copy(t, &e, buf, 0), -1);
    /* A multi-byte character is copied whole or not at all. */
    CHECK_EQ(js_str_copy(t, &u, buf, 2), -1);
    CHECK_EQ(js_str_copy(t, &u, buf, 3), 2);
    CHECK_STR(buf, "\xC3\xA9");
    CHECK_EQ(js_str_copy(t, &s, NULL, 0), -1);
}

static void jscan_should_refuse_to_copy_a_string_holding_u0000(void)
{
    const char *t = "[\"a\\u0000b\",\"\\u0000\"]";
    char buf[16];
    js_val a, s;
    uint32_t pos = 0;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    while (js_next(t, &a, &pos, NULL, &s)) {
        CHECK_EQ(js_str_copy(t, &s, buf, sizeof buf), -1);
        CHECK_STR(buf, "");
    }
}

static void jscan_should_refuse_to_copy_what_is_no_string(void)
{
    const char *t = "[1,null,{},[]]";
    char buf[16];
    js_val a, v;
    uint32_t pos = 0;

    REQUIRE(js_parse(t, strlen(t), &a) == WSS_OK);
    CHECK_EQ(js_str_copy(t, &a, buf, sizeof buf), -1);
    while (js_next(t, &a, &pos, NULL, &v))
        CHECK_EQ(js_str_copy(t, &v, buf, sizeof buf), -1);
}

static void jscan_should_tell_values_byte_for_byte_the_same(void)
{
    const char *a = "{\"id\":1,\"s\":\"x\",\"o\":{\"a\":1}}";
    const char *b = "[1, \"x\", 1.0, {\"a\":1}, {\"a\": 1}, \"\\u0078\"]";
    js_val ao, bo, a1, as, aobj, b1, bs, b10, bobj, bsp, besc, none;
    uint32_t pos = 0;

    REQUIRE(js_parse(a, strlen(a), &ao) == WSS_OK);
    REQUIRE(js_parse(b, strlen(b), &bo) == WSS_OK);
    REQUIRE(js_get(a, &ao, "id", &a1) == 1);
    REQUIRE(js_get(a, &ao, "s", &as) == 1);
    REQUIRE(js_get(a, &ao, "o", &aobj) == 1);
    REQUIRE(js_next(b, &bo, &pos, NULL, &b1));
    REQUIRE(js_next(b, &bo, &pos, NULL, &bs));
    REQUIRE(js_next(b, &bo, &pos, NULL, &b10));
    REQUIRE(js_next(b, &bo, &pos, NULL, &bobj));
    REQUIRE(js_next(b, &bo, &pos, NULL, &bsp));
    REQUIRE(js_next(b, &bo, &pos, NULL, &besc));
    CHECK(js_same(a, &a1, b, &b1));
    CHECK(js_same(a, &as, b, &bs));
    CHECK(js_same(a, &aobj, b, &bobj));
    CHECK(!js_same(a, &a1, b, &b10));
    CHECK(!js_same(a, &aobj, b, &bsp));
    CHECK(!js_same(a, &as, b, &besc));
    CHECK(!js_same(a, &a1, a, &as));
    CHECK(js_same(b, &bo, b, &bo));
    /* Absent values are the same as nothing, not even each other. */
    CHECK_EQ(js_get(a, &ao, "missing", &none), 0);
    CHECK(!js_same(a, &none, a, &none));
    CHECK(!js_same(a, &none, b, &b1));
}

/* ---- edits ------------------------------------------------------------------- */

/* Applies the edits and checks the result is `want`, NUL-terminated. */
static void check_apply(const char *file, int line, const char *t, const js_edit *e, size_t n,
                        const char *want)
{
    size_t len = 12345;
    char *out = js_apply(t, strlen(t), e, n, &len);

    if (out == NULL) {
        check_fail(file, line, "js_apply gave NULL");
        return;
    }
    if (len != strlen(want) || memcmp(out, want, len) != 0 || out[len] != '\0')
        check_fail(file, line, "js_apply gave \"%s\" (%zu bytes), expected \"%s\"", out, len,
                   want);
    wss_free(out);
}
#define CHECK_APPLY(t, e, n, want) check_apply(__FILE__, __LINE__, (t), (e), (n), (want))

static void jscan_should_apply_no_edit_as_a_copy(void)
{
    size_t len = 7;
    char *out;

    CHECK_APPLY("{\"id\":1}", NULL, 0, "{\"id\":1}");
    out = js_apply("", 0, NULL, 0, &len);
    REQUIRE(out != NULL);
    CHECK_EQ(len, 0);
    CHECK_EQ(out[0], '\0');
    wss_free(out);
    out = js_apply(NULL, 0, NULL, 0, &len);
    REQUIRE(out != NULL);
    CHECK_EQ(len, 0);
    wss_free(out);
}

static void jscan_should_apply_one_edit_in_the_middle(void)
{
    const char *t = "{\"id\":7,\"method\":\"x\"}";
    js_edit e = {6, 1, "1024", 4};

    CHECK_APPLY(t, &e, 1, "{\"id\":1024,\"method\":\"x\"}");
}

static void jscan_should_apply_edits_at_the_start_and_the_end(void)
{
    const char *t = "[1,2,3]";
    js_edit start = {0, 2, "[9", 2};
    js_edit end = {5, 2, "4]", 2};
    js_edit both[2] = {{0, 1, "[0,", 3}, {6, 1, ",4]", 3}};
    js_edit all = {0, 7, "null", 4};

    CHECK_APPLY(t, &start, 1, "[9,2,3]");
    CHECK_APPLY(t, &end, 1, "[1,2,4]");
    CHECK_APPLY(t, both, 2, "[0,1,2,3,4]");
    CHECK_APPLY(t, &all, 1, "null");
}

static void jscan_should_apply_several_edits_in_order(void)
{
    const char *t = "{\"a\":1,\"b\":22,\"c\":333}";
    js_edit e[3] = {{5, 1, "\"one\"", 5}, {11, 2, "2", 1}, {18, 3, "three", 5}};

    CHECK_APPLY(t, e, 3, "{\"a\":\"one\",\"b\":2,\"c\":three}");
}

static void jscan_should_apply_adjacent_edits(void)
{
    const char *t = "abcdef";
    js_edit e[3] = {{0, 2, "X", 1}, {2, 2, "", 0}, {4, 2, "YZW", 3}};

    CHECK_APPLY(t, e, 3, "XYZW");
}

static void jscan_should_apply_an_empty_replacement_as_a_deletion(void)
{
    const char *t = "{\"a\":1,\"b\":2}";
    js_edit e = {6, 6, "", 0};
    js_edit n = {0, 13, NULL, 0};

    CHECK_APPLY(t, &e, 1, "{\"a\":1}");
    CHECK_APPLY(t, &n, 1, "");
}

static void jscan_should_apply_an_insertion_of_len_0(void)
{
    const char *t = "{\"a\":1}";
    js_edit mid = {6, 0, ",\"b\":2", 6};
    js_edit start = {0, 0, " ", 1};
    js_edit end = {7, 0, "\n", 1};
    js_edit two[2] = {{1, 0, "\"z\":0,", 6}, {1, 0, "\"y\":0,", 6}};

    CHECK_APPLY(t, &mid, 1, "{\"a\":1,\"b\":2}");
    CHECK_APPLY(t, &start, 1, " {\"a\":1}");
    CHECK_APPLY(t, &end, 1, "{\"a\":1}\n");
    /* Two insertions at one place go in the order given. */
    CHECK_APPLY(t, two, 2, "{\"z\":0,\"y\":0,\"a\":1}");
}

static void jscan_should_refuse_edits_out_of_order_overlapping_or_outside_the_text(void)
{
    const char *t = "[1,2,3]";
    js_edit unsorted[2] = {{5, 1, "x", 1}, {1, 1, "y", 1}};
    js_edit overlap[2] = {{1, 3, "x", 1}, {3, 1, "y", 1}};
    js_edit past = {6, 2, "x", 1};
    js_edit beyond = {8, 0, "x", 1};
    js_edit nowith = {1, 1, NULL, 1};
    size_t len = 9;

    CHECK(js_apply(t, 7, unsorted, 2, &len) == NULL);
    CHECK_EQ(len, 0);
    CHECK(js_apply(t, 7, overlap, 2, &len) == NULL);
    CHECK(js_apply(t, 7, &past, 1, &len) == NULL);
    CHECK(js_apply(t, 7, &beyond, 1, &len) == NULL);
    CHECK(js_apply(t, 7, &nowith, 1, &len) == NULL);
    CHECK(js_apply(t, 7, NULL, 1, &len) == NULL);
}

static void jscan_should_give_null_when_out_of_memory(void)
{
    const char *t = "{\"id\":7}";
    js_edit e = {6, 1, "8", 1};
    size_t len = 5;
    char *out;

    fa_install(1, 0);
    out = js_apply(t, strlen(t), &e, 1, &len);
    CHECK(out == NULL);
    CHECK_EQ(fa_failures(), 1);
    CHECK_EQ(len, 0);
    /* Only that allocation failed: the next one works, and an edit-free copy
     * fails the same way. */
    out = js_apply(t, strlen(t), &e, 1, &len);
    REQUIRE(out != NULL);
    wss_free(out);
    fa_arm(1, 0);
    out = js_apply(t, strlen(t), NULL, 0, &len);
    CHECK(out == NULL);
    CHECK_EQ(fa_failures(), 2);
    out = js_apply(t, strlen(t), &e, 1, &len);
    REQUIRE(out != NULL);
    CHECK_STR(out, "{\"id\":8}");
    wss_free(out);
    CHECK_EQ(fa_live(), 0);
    fa_uninstall();
}

static void jscan_should_rewrite_an_id_it_found(void)
{
    const char *t = "{ \"jsonrpc\": \"2.0\", \"id\": \"abc\", \"method\": \"m\", \"params\": {\"id\": 5} }";
    js_val o, id, again;
    js_edit e;
    size_t len;
    char *out;

    REQUIRE(js_parse(t, strlen(t), &o) == WSS_OK);
    REQUIRE(js_get(t, &o, "id", &id) == 1);
    e.off = id.off;
    e.len = id.len;
    e.with = "17";
    e.wlen = 2;
    out = js_apply(t, strlen(t), &e, 1, &len);
    REQUIRE(out != NULL);
    CHECK_STR(out, "{ \"jsonrpc\": \"2.0\", \"id\": 17, \"method\": \"m\", \"params\": {\"id\": 5} }");
    REQUIRE(js_parse(out, len, &o) == WSS_OK);
    REQUIRE(js_get(out, &o, "id", &again) == 1);
    CHECK_EQ(again.kind, JS_NUMBER);
    CHECK_STR(bytes_of(out, &again), "17");
    wss_free(out);
}

/* ---- random texts against a second validator ------------------------------------ */

/* A validator written the other way round: recursive descent, decoding UTF-8
 * to code points and judging them by value, numbers judged as a whole token. */
typedef struct ref {
    const unsigned char *s;
    size_t n;
    size_t i;
    int depth;
} ref;

static int ref_value(ref *r);

static int ref_peek(const ref *r)
{
    return r->i < r->n ? r->s[r->i] : -1;
}

static void ref_ws(ref *r)
{
    while (r->i < r->n && strchr(" \t\r\n", r->s[r->i]) != NULL && r->s[r->i] != 0)
        r->i++;
}

static long ref_hex4(ref *r)
{
    long v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        int c = ref_peek(r);

        r->i++;
        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + (c - 'A' + 10);
        else
            return -1;
    }
    return v;
}

static int ref_string(ref *r)
{
    r->i++; /* the quote */
    for (;;) {
        int c = ref_peek(r);

        if (c < 0)
            return 0;
        r->i++;
        if (c == '"')
            return 1;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            int e = ref_peek(r);

            r->i++;
            if (e == 'u') {
                long u = ref_hex4(r);

                if (u < 0 || (u >= 0xDC00 && u < 0xE000))
                    return 0;
                if (u >= 0xD800 && u < 0xDC00) {
                    if (ref_peek(r) != '\\')
                        return 0;
                    r->i++;
                    if (ref_peek(r) != 'u')
                        return 0;
                    r->i++;
                    u = ref_hex4(r);
                    if (u < 0xDC00 || u >= 0xE000)
                        return 0;
                }
            } else if (e < 0 || strchr("\"\\/bfnrt", e) == NULL || e == 0) {
                return 0;
            }
        } else if (c >= 0x80) {
            unsigned long cp, min;
            int more, k;

            if ((c & 0xE0) == 0xC0) {
                more = 1;
                cp = (unsigned long)c & 0x1F;
                min = 0x80;
            } else if ((c & 0xF0) == 0xE0) {
                more = 2;
                cp = (unsigned long)c & 0x0F;
                min = 0x800;
            } else if ((c & 0xF8) == 0xF0) {
                more = 3;
                cp = (unsigned long)c & 0x07;
                min = 0x10000;
            } else {
                return 0;
            }
            for (k = 0; k < more; k++) {
                int d = ref_peek(r);

                if (d < 0 || (d & 0xC0) != 0x80)
                    return 0;
                r->i++;
                cp = (cp << 6) | ((unsigned long)d & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
                return 0;
        }
    }
}

static int ref_number(ref *r)
{
    size_t b = r->i, e = r->i, k, digits;
    const unsigned char *s = r->s;

    while (e < r->n && s[e] != 0 && strchr("0123456789+-.eE", s[e]) != NULL)
        e++;
    r->i = e;
    k = b;
    if (k < e && s[k] == '-')
        k++;
    for (digits = 0; k < e && s[k] >= '0' && s[k] <= '9'; k++)
        digits++;
    if (digits == 0 || (digits > 1 && s[k - digits] == '0'))
        return 0;
    if (k < e && s[k] == '.') {
        for (k++, digits = 0; k < e && s[k] >= '0' && s[k] <= '9'; k++)
            digits++;
        if (digits == 0)
            return 0;
    }
    if (k < e && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < e && (s[k] == '+' || s[k] == '-'))
            k++;
        for (digits = 0; k < e && s[k] >= '0' && s[k] <= '9'; k++)
            digits++;
        if (digits == 0)
            return 0;
    }
    return k == e;
}

static int ref_word(ref *r, const char *w)
{
    size_t n = strlen(w);

    if (r->n - r->i < n || memcmp(r->s + r->i, w, n) != 0)
        return 0;
    r->i += n;
    return 1;
}

static int ref_container(ref *r, int obj)
{
    int close = obj ? '}' : ']';

    if (++r->depth > JS_MAX_DEPTH)
        return 0;
    r->i++;
    ref_ws(r);
    if (ref_peek(r) == close) {
        r->i++;
        r->depth--;
        return 1;
    }
    for (;;) {
        ref_ws(r);
        if (obj) {
            if (ref_peek(r) != '"' || !ref_string(r))
                return 0;
            ref_ws(r);
            if (ref_peek(r) != ':')
                return 0;
            r->i++;
        }
        if (!ref_value(r))
            return 0;
        ref_ws(r);
        if (ref_peek(r) == ',') {
            r->i++;
            continue;
        }
        if (ref_peek(r) != close)
            return 0;
        r->i++;
        r->depth--;
        return 1;
    }
}

static int ref_value(ref *r)
{
    int c;

    ref_ws(r);
    c = ref_peek(r);
    if (c == '{' || c == '[')
        return ref_container(r, c == '{');
    if (c == '"')
        return ref_string(r);
    if (c == 't')
        return ref_word(r, "true");
    if (c == 'f')
        return ref_word(r, "false");
    if (c == 'n')
        return ref_word(r, "null");
    if (c == '-' || (c >= '0' && c <= '9'))
        return ref_number(r);
    return 0;
}

static int ref_valid(const char *t, size_t n)
{
    ref r;

    r.s = (const unsigned char *)t;
    r.n = n;
    r.i = 0;
    r.depth = 0;
    if (!ref_value(&r))
        return 0;
    ref_ws(&r);
    return r.i == n;
}

/* ---- a generator of valid texts ---- */

typedef struct gen {
    char *buf;
    size_t n;
    size_t cap;
    uint32_t rng;
    int budget; /* values still to make; containers go empty when it runs out */
    int max_depth;
} gen;

static void put(gen *g, const char *s, size_t n)
{
    if (g->n + n <= g->cap) {
        memcpy(g->buf + g->n, s, n);
        g->n += n;
    } else {
        g->n = g->cap + 1; /* marks the text as too long */
    }
}

static void puts_(gen *g, const char *s)
{
    put(g, s, strlen(s));
}

static void gen_ws(gen *g)
{
    static const char ws[] = " \t\r\n";

    while (prng_below(&g->rng, 4) == 0)
        put(g, &ws[prng_below(&g->rng, 4)], 1);
}

static void gen_utf8(gen *g, unsigned long cp)
{
    char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(g, b, n);
}

/* A code point that is no surrogate, of a size picked at random. */
static unsigned long gen_cp(gen *g)
{
    static const unsigned long top[] = {0x80, 0x800, 0x10000, 0x110000};
    unsigned long cp;

    do {
        cp = prng_below(&g->rng, (uint32_t)top[prng_below(&g->rng, 4)]);
    } while (cp >= 0xD800 && cp < 0xE000);
    return cp;
}

static void gen_string(gen *g)
{
    uint32_t i, n = prng_below(&g->rng, 8);
    char esc[32];

    put(g, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned long cp = gen_cp(g);

        switch (prng_below(&g->rng, 5)) {
        case 0: /* a short escape */
            esc[0] = '\\';
            esc[1] = "\"\\/bfnrt"[prng_below(&g->rng, 8)];
            put(g, esc, 2);
            break;
        case 1: /* \uXXXX, a pair above U+FFFF */
            if (cp >= 0x10000) {
                unsigned long v = cp - 0x10000;

                snprintf(esc, sizeof esc, "\\u%04lX\\u%04lx", 0xD800 + (v >> 10),
                         0xDC00 + (v & 0x3FF));
            } else {
                snprintf(esc, sizeof esc, "\\u%04lx", cp);
            }
            puts_(g, esc);
            break;
        case 2: /* printable ASCII */
            esc[0] = (char)(0x20 + prng_below(&g->rng, 0x5F));
            if (esc[0] == '"' || esc[0] == '\\')
                esc[0] = 'q';
            put(g, esc, 1);
            break;
        default: /* raw UTF-8, never a control character, a quote or a backslash */
            if (cp < 0x20 || cp == '"' || cp == '\\')
                cp = 'x';
            gen_utf8(g, cp);
            break;
        }
    }
    put(g, "\"", 1);
}

static void gen_number(gen *g)
{
    char d[2] = {0, 0};
    uint32_t i, n;

    if (prng_below(&g->rng, 2))
        puts_(g, "-");
    if (prng_below(&g->rng, 3) == 0) {
        puts_(g, "0");
    } else {
        d[0] = (char)('1' + prng_below(&g->rng, 9));
        puts_(g, d);
        for (n = prng_below(&g->rng, 6), i = 0; i < n; i++) {
            d[0] = (char)('0' + prng_below(&g->rng, 10));
            puts_(g, d);
        }
    }
    if (prng_below(&g->rng, 3) == 0) {
        puts_(g, ".");
        for (n = 1 + prng_below(&g->rng, 4), i = 0; i < n; i++) {
            d[0] = (char)('0' + prng_below(&g->rng, 10));
            puts_(g, d);
        }
    }
    if (prng_below(&g->rng, 3) == 0) {
        puts_(g, prng_below(&g->rng, 2) ? "e" : "E");
        if (prng_below(&g->rng, 2))
            puts_(g, prng_below(&g->rng, 2) ? "+" : "-");
        for (n = 1 + prng_below(&g->rng, 3), i = 0; i < n; i++) {
            d[0] = (char)('0' + prng_below(&g->rng, 10));
            puts_(g, d);
        }
    }
}

static void gen_value(gen *g, int depth)
{
    uint32_t kind = prng_below(&g->rng, depth < g->max_depth ? 8 : 6);

    g->budget--;
    switch (kind) {
    case 0:
        gen_string(g);
        break;
    case 1:
        gen_number(g);
        break;
    case 2:
        puts_(g, "true");
        break;
    case 3:
        puts_(g, "false");
        break;
    case 4:
        puts_(g, "null");
        break;
    case 5:
        gen_string(g);
        break;
    default: {
        int obj = kind == 6;
        uint32_t i, n = g->budget > 0 ? prng_below(&g->rng, 5) : 0;

        put(g, obj ? "{" : "[", 1);
        gen_ws(g);
        for (i = 0; i < n; i++) {
            if (i > 0) {
                put(g, ",", 1);
                gen_ws(g);
            }
            if (obj) {
                gen_string(g);
                gen_ws(g);
                put(g, ":", 1);
                gen_ws(g);
            }
            gen_value(g, depth + 1);
            gen_ws(g);
        }
        put(g, obj ? "}" : "]", 1);
        break;
    }
    }
}

/* Whether p[0, n) holds the text of `what`. */
static int holds(const char *p, size_t n, const char *what)
{
    size_t w = strlen(what), i;

    for (i = 0; i + w <= n; i++)
        if (memcmp(p + i, what, w) == 0)
            return 1;
    return 0;
}

/* Walks every value, checking what the scanner says of it against its container. */
static int walk(const char *t, const js_val *v, int depth)
{
    char buf[4096];
    js_val k, x, again, got;
    uint32_t pos = 0, prev = v->off + 1;

    if (depth > JS_MAX_DEPTH || v->len == 0 || js_parse(t + v->off, v->len, &again) != WSS_OK ||
        again.kind != v->kind || again.off != 0 || again.len != v->len)
        return 0;
    if (!js_same(t, v, t, v))
        return 0;
    if (v->kind == JS_STRING) {
        int n = v->len <= sizeof buf ? js_str_copy(t, v, buf, v->len) : 0;

        if (n < 0) {
            /* The only reason a copy of its own size fails: it holds U+0000. */
            if (!holds(t + v->off, v->len, "\\u0000"))
                return 0;
        } else if (v->len <= sizeof buf && !js_str_is(t, v, buf)) {
            return 0;
        }
        return 1;
    }
    if (v->kind != JS_OBJECT && v->kind != JS_ARRAY)
        return 1;
    while (js_next(t, v, &pos, &k, &x)) {
        if (x.off < prev || x.off + x.len > v->off + v->len - 1)
            return 0;
        if (v->kind == JS_OBJECT) {
            int n;

            if (k.kind != JS_STRING || k.off < prev || k.off + k.len > x.off || !walk(t, &k, depth))
                return 0;
            n = k.len <= sizeof buf ? js_str_copy(t, &k, buf, k.len) : -1;
            if (n >= 0 && (js_get(t, v, buf, &got) < 1 || got.off > x.off))
                return 0;
        } else if (k.kind != JS_NONE) {
            return 0;
        }
        if (!walk(t, &x, depth + 1))
            return 0;
        prev = x.off + x.len;
    }
    return 1;
}

static void jscan_should_agree_with_a_second_validator_on_random_and_mutated_texts(void)
{
    static char text[1 << 16];
    uint32_t seed = 0x6A5C4E11, iter, accepted = 0, mutants_accepted = 0;

    for (iter = 0; iter < 3000; iter++) {
        gen g;
        js_val v;
        char *copy;
        uint32_t m;

        g.buf = text;
        g.n = 0;
        g.cap = sizeof text;
        g.rng = seed + iter * 2654435761u;
        if (g.rng == 0)
            g.rng = 1;
        g.budget = (int)prng_below(&g.rng, 60);
        g.max_depth = prng_below(&g.rng, 4) == 0 ? JS_MAX_DEPTH : 6;
        gen_ws(&g);
        gen_value(&g, 0);
        gen_ws(&g);
        REQUIRE(g.n <= g.cap);
        copy = exact(text, g.n);
        REQUIRE(copy != NULL);
        if (js_parse(copy, g.n, &v) != WSS_OK || !ref_valid(copy, g.n)) {
            check_fail(__FILE__, __LINE__, "refused a valid text (seed %u): %.*s", g.rng,
                       (int)g.n, copy);
            free(copy);
            return;
        }
        accepted++;
        if (!walk(copy, &v, 0))
            check_fail(__FILE__, __LINE__, "walk failed: %.*s", (int)g.n, copy);
        free(copy);

        /* One byte changed, dropped or added, or the text cut short: the two
         * validators agree, and what is accepted walks cleanly. */
        for (m = 0; m < 8 && g.n > 0; m++) {
            static const char pick[] = "{}[]\",:\\u0-.eE+ tfn\x80\xC2\xED\xF4\x00\x1F";
            size_t n = g.n, at = prng_below(&g.rng, (uint32_t)g.n);
            char *t = malloc(n + 1);
            int ok, want;
            unsigned char b = prng_below(&g.rng, 2) ? (unsigned char)pick[prng_below(&g.rng, (uint32_t)sizeof pick - 1)]
                                                    : (unsigned char)prng_below(&g.rng, 256);

            REQUIRE(t != NULL);
            memcpy(t, text, n);
            switch (prng_below(&g.rng, 4)) {
            case 0:
                t[at] = (char)b;
                break;
            case 1:
                memmove(t + at, t + at + 1, n - at - 1);
                n--;
                break;
            case 2:
                memmove(t + at + 1, t + at, n - at);
                t[at] = (char)b;
                n++;
                break;
            default:
                n = at;
                break;
            }
            copy = exact(t, n);
            free(t);
            REQUIRE(copy != NULL);
            ok = js_parse(copy, n, &v) == WSS_OK;
            want = ref_valid(copy, n);
            if (ok != want)
                check_fail(__FILE__, __LINE__, "%s a mutant the second validator %s: %.*s",
                           ok ? "accepted" : "refused", want ? "accepts" : "refuses", (int)n,
                           copy);
            if (ok) {
                mutants_accepted++;
                if (!walk(copy, &v, 0))
                    check_fail(__FILE__, __LINE__, "walk failed: %.*s", (int)n, copy);
            }
            free(copy);
        }
    }
    CHECK_EQ(accepted, 3000);
    CHECK(mutants_accepted > 0);
}

static void jscan_should_agree_with_a_second_validator_on_short_random_byte_strings(void)
{
    static const char alphabet[] = "{}[]\",:\\u0123456789-+.eEtruefalsnl \t\r\nDdCc\x80\xBF\xC2\xE0"
                                   "\xED\xF0\xF4\xA0\x9F\x8F\x90\x00\x1F\x7F";
    uint32_t rng = 0xC0FFEE, iter, accepted = 0;
    char t[12];

    for (iter = 0; iter < 200000; iter++) {
        size_t n = prng_below(&rng, (uint32_t)sizeof t + 1), i;
        char *copy;
        int ok, want;
        js_val v;

        for (i = 0; i < n; i++)
            t[i] = alphabet[prng_below(&rng, (uint32_t)sizeof alphabet - 1)];
        copy = exact(t, n);
        REQUIRE(copy != NULL);
        ok = js_parse(copy, n, &v) == WSS_OK;
        want = ref_valid(copy, n);
        if (ok != want) {
            check_fail(__FILE__, __LINE__, "%s a text the second validator %s: %.*s",
                       ok ? "accepted" : "refused", want ? "accepts" : "refuses", (int)n, copy);
            free(copy);
            return;
        }
        if (ok) {
            accepted++;
            if (!walk(copy, &v, 0))
                check_fail(__FILE__, __LINE__, "walk failed: %.*s", (int)n, copy);
        }
        free(copy);
    }
    CHECK(accepted > 100);
}

const test_case jscan_tests[] = {
    TEST_CASE(jscan_should_accept_every_kind_and_give_its_bytes),
    TEST_CASE(jscan_should_allow_whitespace_around_and_inside_a_value),
    TEST_CASE(jscan_should_refuse_an_empty_text_and_whitespace_of_other_kinds),
    TEST_CASE(jscan_should_refuse_trailing_garbage),
    TEST_CASE(jscan_should_refuse_two_values),
    TEST_CASE(jscan_should_accept_numbers_of_the_grammar),
    TEST_CASE(jscan_should_refuse_numbers_outside_the_grammar),
    TEST_CASE(jscan_should_refuse_misspelt_words),
    TEST_CASE(jscan_should_refuse_broken_structure),
    TEST_CASE(jscan_should_accept_every_escape),
    TEST_CASE(jscan_should_refuse_bad_escapes),
    TEST_CASE(jscan_should_refuse_a_lone_surrogate_escape),
    TEST_CASE(jscan_should_refuse_control_characters_in_strings),
    TEST_CASE(jscan_should_accept_valid_utf8_at_every_boundary),
    TEST_CASE(jscan_should_refuse_overlong_utf8),
    TEST_CASE(jscan_should_refuse_surrogates_encoded_in_utf8),
    TEST_CASE(jscan_should_refuse_utf8_past_u10ffff),
    TEST_CASE(jscan_should_refuse_truncated_and_stray_utf8),
    TEST_CASE(jscan_should_hold_the_edges_of_its_compact_checks),
    TEST_CASE(jscan_should_refuse_raw_utf8_outside_strings),
    TEST_CASE(jscan_should_accept_nesting_of_exactly_64),
    TEST_CASE(jscan_should_refuse_nesting_past_64),
    TEST_CASE(jscan_should_count_depth_down_again_when_containers_close),
    TEST_CASE(jscan_should_refuse_sizes_above_uint32_max),
    TEST_CASE(jscan_should_step_through_an_object),
    TEST_CASE(jscan_should_step_through_an_array),
    TEST_CASE(jscan_should_step_through_empty_containers),
    TEST_CASE(jscan_should_step_over_nested_containers_whole),
    TEST_CASE(jscan_should_end_numbers_and_words_at_any_delimiter),
    TEST_CASE(jscan_should_give_nothing_from_a_value_that_is_no_container),
    TEST_CASE(jscan_should_get_a_member_by_name),
    TEST_CASE(jscan_should_get_a_member_by_its_escaped_key),
    TEST_CASE(jscan_should_count_duplicate_keys_and_give_the_first),
    TEST_CASE(jscan_should_match_no_prefix_and_no_longer_key),
    TEST_CASE(jscan_should_match_no_name_against_a_key_holding_u0000),
    TEST_CASE(jscan_should_get_nothing_from_a_value_that_is_no_object),
    TEST_CASE(jscan_should_compare_strings_unescaped),
    TEST_CASE(jscan_should_copy_a_string_unescaped),
    TEST_CASE(jscan_should_copy_a_string_that_fills_the_buffer_exactly),
    TEST_CASE(jscan_should_refuse_to_copy_a_string_holding_u0000),
    TEST_CASE(jscan_should_refuse_to_copy_what_is_no_string),
    TEST_CASE(jscan_should_tell_values_byte_for_byte_the_same),
    TEST_CASE(jscan_should_apply_no_edit_as_a_copy),
    TEST_CASE(jscan_should_apply_one_edit_in_the_middle),
    TEST_CASE(jscan_should_apply_edits_at_the_start_and_the_end),
    TEST_CASE(jscan_should_apply_several_edits_in_order),
    TEST_CASE(jscan_should_apply_adjacent_edits),
    TEST_CASE(jscan_should_apply_an_empty_replacement_as_a_deletion),
    TEST_CASE(jscan_should_apply_an_insertion_of_len_0),
    TEST_CASE(jscan_should_refuse_edits_out_of_order_overlapping_or_outside_the_text),
    TEST_CASE(jscan_should_give_null_when_out_of_memory),
    TEST_CASE(jscan_should_rewrite_an_id_it_found),
    TEST_CASE(jscan_should_agree_with_a_second_validator_on_random_and_mutated_texts),
    TEST_CASE(jscan_should_agree_with_a_second_validator_on_short_random_byte_strings),
    TEST_END,
};
