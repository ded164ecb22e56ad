/*
 * Small pieces the protocol profiles share, kept out of line so that each
 * exists once in the leader.
 */
#include <string.h>

#include "internal.h"
#include "jscan.h"

char *prof_dup(const char *s, uint32_t n)
{
    char *d = wss_malloc((size_t)n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

uint32_t prof_digits(uint64_t v, char *out)
{
    char tmp[20];
    uint32_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

uint64_t prof_wire(const char *s, uint32_t n)
{
    uint64_t w = 0;
    uint32_t i;

    if (n < 1 || n > 19 || s[0] == '0')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        w = w * 10 + (uint64_t)(s[i] - '0');
    }
    return w;
}
