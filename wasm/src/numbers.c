/*
 * Reading numbers for the leader's cJSON. cJSON reads every number with
 * strtod and checks a printed one with sscanf("%lg"); libc's general versions
 * of both compute in 128-bit long double, which alone was a third of the
 * leader's wasm (about 6 KB gzip). The numbers the core reads are ids, counts
 * and a config's delays and factor: this reader gives the correctly rounded
 * double for up to 19 significant digits and exponents within 10^+-22, which
 * covers all of them, and stays within an ulp or two beyond.
 *
 * wss_strtod is what is tested natively; the wasm build (and only it) takes
 * it as strtod and sscanf, in place of libc's.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

double wss_strtod(const char *s, char **end)
{
    static const double tens[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    uint64_t mant = 0;
    int digits = 0; /* significant digits kept in mant, at most 19 */
    long exp10 = 0;
    int any = 0;
    int neg = 0;
    double d;

    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; digit(*p); p++, any = 1) {
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            digits += mant != 0;
        } else {
            exp10++; /* a digit past what a double holds only scales */
        }
    }
    if (*p == '.') {
        for (p++; digit(*p); p++, any = 1) {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                digits += mant != 0;
                exp10--;
            }
        }
    }
    if (!any) {
        if (end != NULL)
            *end = (char *)(uintptr_t)s;
        return 0;
    }
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = 0;
        long e = 0;

        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        if (digit(*q)) {
            for (; digit(*q); q++)
                if (e < 100000)
                    e = e * 10 + (*q - '0');
            exp10 += eneg ? -e : e;
            p = q;
        }
    }
    if (end != NULL)
        *end = (char *)(uintptr_t)p;
    /* One rounding when both the digits and the power of ten are exact. */
    d = (double)mant;
    if (mant != 0) {
        for (; exp10 > 22; exp10 -= 22)
            d *= 1e22;
        for (; exp10 < -22; exp10 += 22)
            d /= 1e22;
        d = exp10 >= 0 ? d * tens[exp10] : d / tens[-exp10];
    }
    return neg ? -d : d;
}

#ifdef __EMSCRIPTEN__
double strtod(const char *restrict s, char **restrict end)
{
    return wss_strtod(s, end);
}

/* cJSON's only use: one "%lg" to check a number it printed. */
int sscanf(const char *restrict s, const char *restrict format, ...)
{
    va_list ap;
    char *end;
    double d;

    if (format[0] != '%' || format[1] != 'l' || format[2] != 'g' || format[3] != '\0')
        return 0;
    d = wss_strtod(s, &end);
    if (end == s)
        return *s == '\0' ? EOF : 0;
    va_start(ap, format);
    *va_arg(ap, double *) = d;
    va_end(ap);
    return 1;
}
#endif
