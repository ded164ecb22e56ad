/*
 * The reconnect schedule: exponential backoff with full jitter. Retry n waits
 * a uniformly random time between minDelay and min(maxDelay, minDelay *
 * factor^n), drawn from a PRNG the host seeds, so a test replays a schedule.
 */
#include "internal.h"

/* xorshift32: tiny, good enough to spread retries; state is never 0. */
static uint32_t next_random(backoff *b)
{
    uint32_t x = b->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->rng = x;
    return x;
}

void backoff_seed(backoff *b, uint32_t seed)
{
    /* Spread nearby seeds apart (a step of splitmix32), and keep 0 out. */
    uint32_t z = seed + 0x9e3779b9u;

    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    z ^= z >> 16;
    b->rng = z != 0 ? z : 0x6d2b79f5u;
    b->attempt = 0;
}

uint32_t backoff_ceiling(const wss_reconnect *rc, uint32_t attempt)
{
    double grow = 1;
    double base = rc->factor;

    /* factor^attempt by squaring: a few steps whatever the count and factor
     * (a factor just above 1 would take ages one multiplication at a time). */
    while (attempt > 0 && rc->min_delay * grow < rc->max_delay) {
        if (attempt & 1)
            grow *= base;
        base *= base;
        attempt >>= 1;
    }
    return rc->min_delay * grow >= rc->max_delay ? rc->max_delay
                                                 : (uint32_t)(rc->min_delay * grow);
}

uint32_t backoff_next(backoff *b, const wss_reconnect *rc)
{
    uint32_t lo = rc->min_delay;
    uint32_t hi;
    uint64_t span;

    if (b->attempt < UINT32_MAX)
        b->attempt++;
    hi = backoff_ceiling(rc, b->attempt);
    span = (uint64_t)hi - lo + 1;
    /* The high bits of a 32-bit draw scaled to the span: no modulo bias worth a thought. */
    return lo + (uint32_t)(((uint64_t)next_random(b) * span) >> 32);
}
