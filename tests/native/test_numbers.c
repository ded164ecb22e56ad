/*
 * The leader's number reader (wasm/src/numbers.c) against the C library's
 * strtod: the same double for every number a config or an envelope holds,
 * within an ulp or two for the rest, and the same end of the number.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

/* Whether a and b are within `ulps` units in the last place. */
static int near(double a, double b, int ulps)
{
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

    if (a == b)
        return 1;
    return fabs(a - b) <= ulps * scale * 2.220446049250313e-16;
}

static void check_number(const char *file, int line, const char *text, int exact)
{
    char *mine_end;
    char *libc_end;
    double mine = wss_strtod(text, &mine_end);
    double libc = strtod(text, &libc_end);

    if (mine_end != libc_end)
        check_fail(file, line, "\"%s\": ends after %d bytes, the C library after %d", text,
                   (int)(mine_end - text), (int)(libc_end - text));
    if (exact ? mine != libc : !near(mine, libc, 2))
        check_fail(file, line, "\"%s\": %.17g, the C library %.17g", text, mine, libc);
}

#define NUMBER(text, exact) check_number(__FILE__, __LINE__, (text), (exact))

static void numbers_should_read_what_the_core_reads_exactly(void)
{
    NUMBER("0", 1);
    NUMBER("-0", 1);
    NUMBER("1", 1);
    NUMBER("4294967295", 1);
    NUMBER("9007199254740993", 0);
    NUMBER("1.5", 1);
    NUMBER("2.25", 1);
    NUMBER("0.001", 1);
    NUMBER("-12.5e3", 1);
    NUMBER("1e22", 1);
    NUMBER("1E-5", 1);
    NUMBER("123456789012345678901234567890", 0);
    NUMBER("0.000000000000000000000000000123", 0);
    NUMBER("1e308", 0);
    NUMBER("2.2250738585072014e-308", 0);
}

static void numbers_should_stop_where_the_number_stops(void)
{
    NUMBER("12,", 1);
    NUMBER("1.5}", 1);
    NUMBER("3e", 1);
    NUMBER("3e+", 1);
    NUMBER("-", 1);
    NUMBER("", 1);
    NUMBER(".5", 1);
    NUMBER("5.", 1);
    NUMBER("x", 1);
}

/* Random JSON numbers: exact up to 15 digits and 10^+-22, close beyond. */
static void numbers_should_match_the_c_library_over_seeded_random_numbers(void)
{
    uint32_t rng = 0x5eed1234u;
    char text[64];
    int i;

    for (i = 0; i < 200000 && !test_failed(); i++) {
        uint32_t digits = 1 + prng_below(&rng, 22);
        uint32_t point = prng_below(&rng, digits + 1);
        int exp10 = (int)prng_below(&rng, 61) - 30;
        int use_exp = prng_below(&rng, 2) != 0;
        size_t n = 0;
        uint32_t d;
        int frac = 0;

        if (prng_below(&rng, 4) == 0)
            text[n++] = '-';
        for (d = 0; d < digits; d++) {
            if (d == point && d > 0) {
                text[n++] = '.';
                frac = 1;
            }
            text[n++] = (char)('0' + (d == 0 && digits > 1 && point != 1 ? 1 + prng_below(&rng, 9)
                                                                          : prng_below(&rng, 10)));
        }
        (void)frac;
        text[n] = '\0';
        if (use_exp)
            snprintf(text + n, sizeof text - n, "e%d", exp10);
        NUMBER(text, digits <= 15 && (!use_exp || (exp10 >= -22 + (int)digits && exp10 <= 22 - (int)digits)));
    }
}

/* The writer against the C library's printf: a whole number below 2^63
 * prints in plain digits at either precision (as %g does once its precision
 * holds them: cJSON keeps the first form that reads back), and at 15 digits
 * any other number within 10^+-15 prints as printf prints it. */
static void numbers_should_print_as_printf_does_what_the_core_prints(void)
{
    static const double whole[] = {0, 1, -1, 7, 10, 1000, 65535, 4294967295.0, 4294967296.0,
                                   1e15, 9007199254740991.0, 9007199254740992.0, 1e18,
                                   9223372036854774784.0};
    static const double other[] = {0.5, -0.25, 1.5, 0.1, 0.001, 0.0001, 0.00001, 123.456,
                                   1234.5678, 3.141592653589793, 1e-7, 2.5e-300, 1e300,
                                   1.7976931348623157e308, 5e-324, 1e22, 1e23, -0.0};
    char mine[32], libc[64];
    uint32_t rng = 0x0dd5eedu;
    size_t i;
    int prec;

    for (i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        snprintf(libc, sizeof libc, "%.0f", whole[i]);
        for (prec = 15; prec <= 17; prec += 2) {
            CHECK_EQ(wss_format_g(mine, whole[i], prec), strlen(libc));
            CHECK_STR(mine, libc);
        }
    }
    for (i = 0; i < sizeof other / sizeof other[0]; i++) {
        for (prec = 15; prec <= 17; prec += 2) {
            snprintf(libc, sizeof libc, "%.*g", prec, other[i]);
            wss_format_g(mine, other[i], prec);
            /* Exact at 15 digits within 10^+-22; a unit in the last digit at 17. */
            if (prec == 15 && fabs(other[i]) >= 1e-22 && fabs(other[i]) <= 1e22)
                CHECK_STR(mine, libc);
            else if (!near(strtod(mine, NULL), other[i], 4))
                check_fail(__FILE__, __LINE__, "%.17g at %d digits: \"%s\", the C library \"%s\"",
                           other[i], prec, mine, libc);
        }
    }
    /* Times in milliseconds with a fraction, and every scale of 15 digits. */
    for (i = 0; i < 100000 && !test_failed(); i++) {
        double d = (double)prng_below(&rng, 1000000000u) / (double)(1u << prng_below(&rng, 20));
        int e = (int)prng_below(&rng, 31) - 15;

        if (i % 2)
            d = (1 + (double)prng_below(&rng, 1000000000u) / 1e9) * pow(10, e);
        snprintf(libc, sizeof libc, "%.15g", d);
        wss_format_g(mine, d, 15);
        /* (a whole number of 16 digits prints plainly: see above) */
        if (!(d >= 1e15 && d == floor(d)) && strcmp(mine, libc) != 0)
            check_fail(__FILE__, __LINE__, "%.17g at 15 digits: \"%s\", the C library \"%s\"", d, mine,
                       libc);
        snprintf(libc, sizeof libc, "%.17g", d);
        wss_format_g(mine, d, 17);
        if (!near(strtod(mine, NULL), d, 2))
            check_fail(__FILE__, __LINE__, "%.17g at 17 digits: \"%s\", the C library \"%s\"", d, mine,
                       libc);
    }
}

static int vformat(char *out, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = wss_vformat(out, f, ap);
    va_end(ap);
    return n;
}

/* What cJSON asks sprintf for, as the C library answers it; nothing else. */
static void numbers_should_format_what_cjson_formats_and_refuse_the_rest(void)
{
    char mine[64], libc[64];
    int c;

    CHECK_EQ(vformat(mine, "null"), 4);
    CHECK_STR(mine, "null");
    for (c = 0; c < 32; c++) {
        snprintf(libc, sizeof libc, "u%04x", c);
        CHECK_EQ(vformat(mine, "u%04x", c), (int)strlen(libc));
        CHECK_STR(mine, libc);
    }
    snprintf(libc, sizeof libc, "%i.%i.%i", 1, 7, 15);
    vformat(mine, "%i.%i.%i", 1, 7, 15);
    CHECK_STR(mine, libc);
    vformat(mine, "%1.15g", 1234.5);
    CHECK_STR(mine, "1234.5");
    vformat(mine, "%1.17g", 4294967295.0);
    CHECK_STR(mine, "4294967295");
    CHECK_EQ(vformat(mine, "%s", "text"), -1);
}

const test_case number_tests[] = {
    TEST_CASE(numbers_should_read_what_the_core_reads_exactly),
    TEST_CASE(numbers_should_stop_where_the_number_stops),
    TEST_CASE(numbers_should_match_the_c_library_over_seeded_random_numbers),
    TEST_CASE(numbers_should_print_as_printf_does_what_the_core_prints),
    TEST_CASE(numbers_should_format_what_cjson_formats_and_refuse_the_rest),
    TEST_END,
};
