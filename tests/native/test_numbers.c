/*
 * The leader's number reader (wasm/src/numbers.c) against the C library's
 * strtod: the same double for every number a config or an envelope holds,
 * within an ulp or two for the rest, and the same end of the number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

const test_case number_tests[] = {
    TEST_CASE(numbers_should_read_what_the_core_reads_exactly),
    TEST_CASE(numbers_should_stop_where_the_number_stops),
    TEST_CASE(numbers_should_match_the_c_library_over_seeded_random_numbers),
    TEST_END,
};
