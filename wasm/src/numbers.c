/*
 * Numbers for the leader's cJSON. cJSON reads every number with strtod and
 * checks a printed one with sscanf("%lg"); it prints with sprintf("%1.15g",
 * then "%1.17g"). libc's general versions compute in 128-bit long double
 * and format every conversion printf knows: together more than a third of
 * the leader's wasm (about 9 KB gzip). The numbers the core reads and
 * writes are ids, counts, sequence numbers, a config's delays and factor,
 * and times in milliseconds: whole numbers, all but the factor.
 *
 * The reader gives the correctly rounded double for up to 19 significant
 * digits and exponents within 10^+-22, which covers all of them, and stays
 * within an ulp or two beyond. The writer prints a whole number below 2^63
 * in plain digits, as printf's %g does once its precision holds them (cJSON
 * keeps the first form that reads back); another number with at most that
 * many significant digits, correctly rounded for up to 15 digits within
 * 10^+-22, within a unit or two in the last digit beyond.
 *
 * wss_strtod and wss_format_g are what is tested natively; the wasm build
 * (and only it) takes them as strtod, sscanf and sprintf, in place of libc's.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

static const double tens[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* x * 10^k, with one rounding while |k| <= 22. */
static double scale10(double x, long k)
{
    for (; k > 22; k -= 22)
        x *= 1e22;
    for (; k < -22; k += 22)
        x /= 1e22;
    return k >= 0 ? x * tens[k] : x / tens[-k];
}

double wss_strtod(const char *s, char **end)
{
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
    d = mant != 0 ? scale10((double)mant, exp10) : 0;
    return neg ? -d : d;
}

/* a * b as hi + lo exactly (Dekker's product, by Veltkamp's split): no
 * fused multiply-add needed, which wasm has not. */
static void two_product(double a, double b, double *hi, double *lo)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double ca = split * a, cb = split * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;

    *hi = a * b;
    *lo = ((ah * bh - *hi) + ah * bl + al * bh) + al * bl;
}

/* d * 10^k rounded to a whole number, half to even as printf rounds: from
 * the exact product while the result stays below 2^53 and 10^k is exact,
 * else from the rounded one. */
static uint64_t round_scaled(double d, long k)
{
    double hi, lo, q, r;

    if (k < 0 || k > 22) {
        r = scale10(d, k);
        return (uint64_t)(r + 0.5);
    }
    two_product(d, tens[k], &hi, &lo);
    if (hi >= 9007199254740992.0)
        return (uint64_t)(hi + 0.5);
    q = (double)(uint64_t)hi; /* hi's whole part */
    r = (hi - q) + lo;        /* exact: what the product holds beyond q */
    if (r < 0) {
        q -= 1;
        r += 1;
    }
    if (r > 0.5 || (r == 0.5 && ((uint64_t)q & 1) != 0))
        q += 1;
    return (uint64_t)q;
}

/* The digits of n into out, most significant first; returns how many. */
static size_t put_digits(char *out, uint64_t n)
{
    char tmp[20];
    size_t i = 0, len = 0;

    do {
        tmp[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (i > 0)
        out[len++] = tmp[--i];
    return len;
}

size_t wss_format_g(char out[32], double d, int prec)
{
    char digits[20];
    size_t len = 0, n, i;
    uint64_t q;
    int e = 0, last;

    if (prec < 1)
        prec = 1;
    if (prec > 17)
        prec = 17;
    if (d != d || d - d != 0) { /* NaN, or an infinity */
        memcpy(out, d != d ? "nan" : d < 0 ? "-inf" : "inf", d != d ? 4 : d < 0 ? 5 : 4);
        return strlen(out);
    }
    if (d < 0 || (d == 0 && 1 / d < 0)) {
        out[len++] = '-';
        d = -d;
    }
    if (d < 9223372036854775808.0 && d == (double)(uint64_t)d) {
        len += put_digits(out + len, (uint64_t)d);
        out[len] = '\0';
        return len;
    }
    /* prec significant digits: q = d * 10^(prec-1-e), e the decimal exponent */
    while (e < 308 && d >= scale10(1, e + 1))
        e++;
    while (e > -324 && d < scale10(1, e))
        e--;
    q = round_scaled(d, prec - 1 - e);
    if (q >= (uint64_t)tens[prec]) { /* rounded up to the next power of ten */
        q /= 10;
        e++;
    }
    n = put_digits(digits, q);
    for (last = (int)n; last > 1 && digits[last - 1] == '0'; last--)
        ;
    if (e < -4 || e >= prec) {
        out[len++] = digits[0];
        if (last > 1)
            out[len++] = '.';
        for (i = 1; i < (size_t)last; i++)
            out[len++] = digits[i];
        out[len++] = 'e';
        out[len++] = e < 0 ? '-' : '+';
        if (e < 0)
            e = -e;
        if (e < 10)
            out[len++] = '0';
        len += put_digits(out + len, (uint64_t)e);
    } else if (e >= 0) {
        for (i = 0; i < (size_t)last || (int)i <= e; i++) {
            if ((int)i == e + 1)
                out[len++] = '.';
            out[len++] = i < n ? digits[i] : '0';
        }
    } else {
        out[len++] = '0';
        out[len++] = '.';
        for (i = 1; (int)i < -e; i++)
            out[len++] = '0';
        for (i = 0; i < (size_t)last; i++)
            out[len++] = digits[i];
    }
    out[len] = '\0';
    return len;
}

/* cJSON's uses: "%1.15g" and "%1.17g" for a number, "null", "u%04x" for
 * a control character in a string, "%i.%i.%i" for its version; -1 for any
 * other conversion. */
int wss_vformat(char *out, const char *f, va_list ap)
{
    char *o = out;

    while (*f != '\0') {
        int width = 0, prec = 6;

        if (*f != '%') {
            *o++ = *f++;
            continue;
        }
        f++;
        if (*f == '%') {
            *o++ = *f++;
            continue;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        if (*f == '.')
            for (prec = 0, f++; *f >= '0' && *f <= '9'; f++)
                prec = prec * 10 + (*f - '0');
        if (*f == 'l')
            f++;
        if (*f == 'g') {
            o += wss_format_g(o, va_arg(ap, double), prec);
        } else if (*f == 'i' || *f == 'd') {
            int v = va_arg(ap, int);
            if (v < 0)
                *o++ = '-';
            o += put_digits(o, v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v);
        } else if (*f == 'x') {
            unsigned v = va_arg(ap, unsigned);
            int n = 1, i;
            while (n < 8 && (v >> (4 * n)) != 0)
                n++;
            for (i = n; i < width; i++)
                *o++ = '0';
            for (i = n - 1; i >= 0; i--)
                *o++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
        } else {
            return -1; /* not one of cJSON's */
        }
        f++;
    }
    *o = '\0';
    return (int)(o - out);
}

#ifdef __EMSCRIPTEN__
double strtod(const char *restrict s, char **restrict end)
{
    return wss_strtod(s, end);
}

/* The compiler may call sprintf by its integer-only names. */
int sprintf(char *restrict out, const char *restrict f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = wss_vformat(out, f, ap);
    va_end(ap);
    return n;
}

int siprintf(char *restrict out, const char *restrict f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = wss_vformat(out, f, ap);
    va_end(ap);
    return n;
}

int __small_sprintf(char *restrict out, const char *restrict f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = wss_vformat(out, f, ap);
    va_end(ap);
    return n;
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
