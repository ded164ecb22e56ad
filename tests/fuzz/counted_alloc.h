/*
 * The allocation hooks of the fuzz targets that drive a protocol profile
 * against a fake core: they count the blocks alive (none may be left once the
 * profile is destroyed), and the nth allocation from when a target sets
 * alloc.fail_at fails, to drive the profile into every out-of-memory path.
 */
#ifndef WSSHARE_FUZZ_COUNTED_ALLOC_H
#define WSSHARE_FUZZ_COUNTED_ALLOC_H

#include <stdlib.h>

#include "wsshare.h"

static struct {
    long fail_at; /* the nth allocation from now fails (0: none) */
    long live;    /* blocks allocated and not yet freed */
} alloc;

static int alloc_fails(void)
{
    return alloc.fail_at > 0 && --alloc.fail_at == 0;
}

static void *counted_malloc(size_t n)
{
    void *p = alloc_fails() ? NULL : malloc(n);

    alloc.live += p != NULL;
    return p;
}

static void *counted_realloc(void *old, size_t n)
{
    void *p = alloc_fails() ? NULL : realloc(old, n);

    alloc.live += p != NULL && old == NULL;
    return p;
}

static void counted_free(void *p)
{
    alloc.live -= p != NULL;
    free(p);
}

static const wss_hooks counted_hooks = {counted_malloc, counted_realloc, counted_free};

#endif
