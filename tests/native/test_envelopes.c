/*
 * The bus is defensive: every envelope that is malformed, of another
 * version, of an unknown type, oversized or missing a field is counted under
 * its reason in the stats and changes nothing else. And the stats themselves:
 * every documented key, answered to a tab that asks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

/* Whether two stats objects are equal but for `bumped` (a rejected.* key),
 * which must have grown by exactly one. */
static int stats_differ_only_by(const cJSON *before, const cJSON *after, const char *bumped,
                                const char *prefix, char *why, size_t why_len)
{
    const cJSON *b;
    char path[64];

    if (cJSON_GetArraySize(before) != cJSON_GetArraySize(after)) {
        snprintf(why, why_len, "key count changed under '%s'", prefix);
        return 0;
    }
    cJSON_ArrayForEach(b, before) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(after, b->string);

        snprintf(path, sizeof(path), "%s%s", prefix, b->string);
        if (a == NULL) {
            snprintf(why, why_len, "%s vanished", path);
            return 0;
        }
        if (cJSON_IsObject(b)) {
            char sub[80];

            snprintf(sub, sizeof(sub), "%s.", path);
            if (!stats_differ_only_by(b, a, bumped, sub, why, why_len))
                return 0;
        } else if (cJSON_IsNumber(b)) {
            double want = b->valuedouble + (strcmp(path, bumped) == 0 ? 1 : 0);

            if (!cJSON_IsNumber(a) || a->valuedouble != want) {
                snprintf(why, why_len, "%s went from %g to %g, expected %g", path,
                         b->valuedouble, cJSON_IsNumber(a) ? a->valuedouble : -1.0, want);
                return 0;
            }
        } else if (!cJSON_Compare(a, b, 1)) {
            snprintf(why, why_len, "%s changed", path);
            return 0;
        }
    }
    return 1;
}

/* Feeds one envelope to a core with two tabs on an open socket (frames in
 * flight both ways) and checks it was dropped and counted under `reason`. */
static void check_rejected(const char *file, int line, const char *json, size_t len,
                           const char *reason)
{
    fx f;
    cJSON *before;
    cJSON *after;
    char why[160];
    char path[64];
    const char *shown = json ? json : "(null)";
    uint32_t n;

    fx_open(&f, "{\"tabTimeoutMs\":10000}");
    fx_start(&f, 7);
    fx_hello(&f, 8, 1);
    fx_frames(&f, 7, 1, 2, NULL);
    fx_server(&f, 3);
    before = fx_stats(&f);
    fx_advance(&f, 0);
    f.rc = wss_bus_control(f.core, json, len, f.now);
    if (f.rc >= 0)
        check_fail(file, line, "accepted (%d): %.80s", f.rc, shown);
    (void)wss_actions(f.core, &n);
    if (n != 0)
        check_fail(file, line, "%u actions for a rejected envelope: %.80s", n, shown);
    after = fx_stats(&f);
    snprintf(path, sizeof(path), "rejected.%s", reason);
    if (before == NULL || after == NULL)
        check_fail(file, line, "no stats");
    else if (!stats_differ_only_by(before, after, path, "", why, sizeof(why)))
        check_fail(file, line, "%s for %.80s", why, shown);
    cJSON_Delete(before);
    cJSON_Delete(after);
    /* And the core carries on as if nothing had come. */
    fx_flush(&f);
    if (strcmp(fx_describe(&f), "DATA@1#3") != 0)
        check_fail(file, line, "after %.80s the flush gave %s", shown, fx_describe(&f));
    fx_drained(&f);
    if (strcmp(fx_describe(&f), "POST:ack") != 0)
        check_fail(file, line, "after %.80s the drain gave %s", shown, fx_describe(&f));
    fx_close(&f);
}

#define REJECTED(json, reason) check_rejected(__FILE__, __LINE__, (json), strlen(json), (reason))

static void bus_should_count_and_drop_malformed_envelopes(void)
{
    REJECTED("", "malformed");
    REJECTED("not json", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7", "malformed");
    REJECTED("[1,\"hello\",7]", "malformed");
    REJECTED("\"hello\"", "malformed");
    REJECTED("null", "malformed");
    REJECTED("{}", "malformed");
    REJECTED("{\"v\":\"1\",\"t\":\"ping\",\"tab\":7}", "malformed");
    REJECTED("{\"v\":1.5,\"t\":\"ping\",\"tab\":7}", "malformed");
    REJECTED("{\"v\":-1,\"t\":\"ping\",\"tab\":7}", "malformed");
    REJECTED("{\"v\":1,\"t\":7,\"tab\":7}", "malformed");
    REJECTED("{\"v\":1,\"t\":null,\"tab\":7}", "malformed");
    REJECTED("{\"V\":1,\"t\":\"ping\",\"tab\":7}", "malformed");
}

/* A tab reads an envelope with JSON.parse, which takes a duplicate key's last
 * value; the core would take the first. Neither may be guessed. */
static void bus_should_refuse_a_key_it_reads_given_twice_and_text_that_is_not_strict_json(void)
{
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7,\"tab\":8}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"t\":\"bye\",\"tab\":7}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7,\"\\u0074ab\":8}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7,\"x\":\"\xff\"}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":07}", "malformed");
}

static void bus_should_count_and_drop_envelopes_with_missing_fields(void)
{
    REJECTED("{\"v\":1,\"tab\":7}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\"}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"bye\"}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":9}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"next\":1}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"stats?\",\"tab\":7}", "malformed");
    REJECTED("{\"v\":1,\"t\":\"stats?\",\"tab\":7,\"id\":null}", "malformed");
}

static void bus_should_count_and_drop_envelopes_with_bad_ids(void)
{
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":9,\"next\":0}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":9,\"next\":\"1\"}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":0,\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":-9,\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":9.5,\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":\"9\",\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":4294967296,\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"hello\",\"tab\":1e300,\"next\":1}", "id");
    REJECTED("{\"v\":1,\"t\":\"bye\",\"tab\":true}", "id");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":[7]}", "id");
    REJECTED("{\"v\":1,\"t\":\"stats?\",\"tab\":7,\"id\":-1}", "id");
}

static void bus_should_count_and_drop_envelopes_with_anything_after_the_object(void)
{
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7}x", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7} ", "malformed");
    REJECTED("{\"v\":1,\"t\":\"ping\",\"tab\":7}{}", "malformed");
    /* A NUL and bytes after it count: the envelope is all `len` bytes. */
    check_rejected(__FILE__, __LINE__, "{\"v\":1,\"t\":\"ping\",\"tab\":7}\0junk", 32, "malformed");
}

static void bus_should_count_a_bye_or_a_ping_from_a_tab_it_does_not_know(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_bye(&f, 8), WSS_EREJECT);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 1);
    fx_ping(&f, 8);
    CHECK_ACTS(&f, "POST:rehello");
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 2);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

static void bus_should_count_and_drop_envelopes_of_another_version(void)
{
    REJECTED("{\"v\":0,\"t\":\"ping\",\"tab\":7}", "version");
    REJECTED("{\"v\":2,\"t\":\"bye\",\"tab\":7}", "version");
    REJECTED("{\"v\":2,\"t\":\"hello\",\"tab\":9,\"next\":1}", "version");
    REJECTED("{\"v\":4294967295}", "version");
}

static void bus_should_count_and_drop_envelopes_of_an_unknown_type(void)
{
    REJECTED("{\"v\":1,\"t\":\"welcome\",\"tab\":7}", "type");
    REJECTED("{\"v\":1,\"t\":\"ack\",\"a\":[7,1]}", "type");
    REJECTED("{\"v\":1,\"t\":\"HELLO\",\"tab\":9,\"next\":1}", "type");
    REJECTED("{\"v\":1,\"t\":\"\",\"tab\":7}", "type");
    REJECTED("{\"v\":1,\"t\":\"stats\",\"tab\":7,\"id\":1}", "type");
}

/* The host's side of a replayed hello from a tab that is gone: its lock is
 * free, so the watch the core asks for reports it gone at once. */
static void answer_watches(fx *f, uint32_t alive)
{
    const act *w = fx_nth(f, WSS_ACT_WATCH, 0);

    if (w != NULL && w->a != alive)
        fx_gone(f, w->a);
}

static void bus_should_drop_replayed_envelopes_and_frames_without_harm(void)
{
    static const char *const controls[] = {
        "{\"v\":1,\"t\":\"hello\",\"tab\":7,\"next\":1}",
        "{\"v\":1,\"t\":\"hello\",\"tab\":8,\"next\":1}",
        "{\"v\":1,\"t\":\"ping\",\"tab\":7}",
        "{\"v\":1,\"t\":\"stats?\",\"tab\":7,\"id\":3}",
        "{\"v\":1,\"t\":\"bye\",\"tab\":8}",
    };
    fx f;
    int round;
    size_t i;

    fx_open(&f, NULL);
    for (i = 0; i < 2; i++)
        fx_control(&f, controls[i]);
    fx_opened(&f, "", "");
    fx_frames(&f, 7, 1, 3, NULL);
    fx_frames(&f, 8, 1, 2, NULL);
    fx_flush(&f);
    for (i = 2; i < 5; i++)
        fx_control(&f, controls[i]);
    REQUIRE(fx_stat(&f, "framesToServer") == 5);
    /* Someone posts it all again, twice, in another order. */
    for (round = 0; round < 2; round++) {
        for (i = 5; i-- > 0;) {
            fx_control(&f, controls[i]);
            CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
            CHECK_EQ(fx_count(&f, WSS_ACT_OPEN) + fx_count(&f, WSS_ACT_CLOSE), 0);
            answer_watches(&f, 7);
        }
        fx_frames(&f, 8, 1, 2, NULL);
        CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
        answer_watches(&f, 7);
        fx_frames(&f, 7, 1, 3, NULL);
        CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
        CHECK_EQ(fx_count(&f, WSS_ACT_RELEASE), 3);
        fx_flush(&f);
    }
    CHECK_EQ(fx_stat(&f, "framesToServer"), 5);
    CHECK_EQ(fx_stat(&f, "duplicates"), 6);
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    CHECK_EQ(fx_held(&f), 0);
    /* And tab 7 carries on from where it was. */
    fx_frames(&f, 7, 4, 1, NULL);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 1);
    fx_close(&f);
}

/* A valid hello to tab 9, padded with spaces to exactly `size` bytes. */
static char *padded_hello(size_t size)
{
    static const char head[] = "{\"v\":1,\"t\":\"hello\",\"tab\":9,\"next\":1";
    char *text = malloc(size + 1);

    memcpy(text, head, sizeof(head) - 1);
    memset(text + sizeof(head) - 1, ' ', size - sizeof(head));
    text[size - 1] = '}';
    text[size] = '\0';
    return text;
}

static void bus_should_count_and_drop_envelopes_over_4096_bytes(void)
{
    char *text = padded_hello(4097);

    REJECTED(text, "size");
    free(text);
    text = padded_hello(1 << 20);
    REJECTED(text, "size");
    free(text);
    check_rejected(__FILE__, __LINE__, NULL, 0, "size");
}

static void bus_should_accept_an_envelope_of_exactly_4096_bytes(void)
{
    fx f;
    char *text = padded_hello(4096);

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_control(&f, text), WSS_OK);
    CHECK_ACTS(&f, "WATCH:9 POST:welcome");
    free(text);
    fx_close(&f);
}

static void bus_should_ignore_unknown_fields_of_a_valid_envelope(void)
{
    fx f;

    fx_open(&f, NULL);
    CHECK_EQ(fx_control(&f, "{\"t\":\"hello\",\"x\":{\"y\":[1,2]},\"next\":3,\"tab\":9,\"v\":1}"),
             WSS_OK);
    CHECK_ACTS(&f, "WATCH:9 POST:welcome OPEN");
    CHECK_EQ(act_num(fx_post(&f, "welcome", 0), "acked"), 2);
    fx_close(&f);
}

static void bus_should_count_each_reject_reason_on_its_own(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_control(&f, "{");
    fx_control(&f, "{\"v\":3,\"t\":\"ping\",\"tab\":1}");
    fx_control(&f, "{\"v\":1,\"t\":\"nope\",\"tab\":1}");
    fx_control(&f, "{\"v\":1,\"t\":\"nope\",\"tab\":1}");
    fx_control_len(&f, "{}", 5000);
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 1);
    CHECK_EQ(fx_stat(&f, "rejected.version"), 1);
    CHECK_EQ(fx_stat(&f, "rejected.type"), 2);
    CHECK_EQ(fx_stat(&f, "rejected.size"), 1);
    CHECK_EQ(fx_stat(&f, "rejected.unknownTab"), 0);
    CHECK_EQ(fx_stat(&f, "rejected.replay"), 0);
    CHECK_EQ(fx_stat(&f, "tabs"), 0);
    CHECK_EQ(fx_stat(&f, "controlPosts"), 0);
    fx_close(&f);
}

/* The keys of LeaderStats in js-glue/wsshare.d.ts, the documented shape. */
static const char *const number_keys[] = {
    "tabs",       "framesToServer", "bytesToServer", "framesFromServer", "bytesFromServer",
    "controlPosts", "dataPosts",    "queuedFrames",  "queuedBytes",      "duplicates",
    "errors",     "opens",          "reconnects",    "attempt",          "tabsJoined",
    "tabsLeft",   "tabsLost",       "outOfMemory",   "uptimeMs",
};
static const char *const rejected_keys[] = {
    "malformed", "version", "type", "size", "unknownTab", "replay", "otherLeader", "id",
};

static void check_stats_shape(const char *file, int line, const cJSON *s)
{
    const cJSON *rej = cJSON_GetObjectItemCaseSensitive(s, "rejected");
    size_t i;

    if (!cJSON_IsObject(s)) {
        check_fail(file, line, "stats are not an object");
        return;
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "version")) ||
        strcmp(cJSON_GetObjectItemCaseSensitive(s, "version")->valuestring, wss_version()) != 0)
        check_fail(file, line, "stats.version is not wss_version()");
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "socket")))
        check_fail(file, line, "stats.socket is not a string");
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "protocol")))
        check_fail(file, line, "stats.protocol is not a string");
    for (i = 0; i < sizeof(number_keys) / sizeof(number_keys[0]); i++)
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, number_keys[i])))
            check_fail(file, line, "stats.%s is not a number", number_keys[i]);
    if (!cJSON_IsObject(rej)) {
        check_fail(file, line, "stats.rejected is not an object");
        return;
    }
    for (i = 0; i < sizeof(rejected_keys) / sizeof(rejected_keys[0]); i++)
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rej, rejected_keys[i])))
            check_fail(file, line, "stats.rejected.%s is not a number", rejected_keys[i]);
    /* Nothing undocumented either. */
    if ((size_t)cJSON_GetArraySize(s) != 4 + sizeof(number_keys) / sizeof(number_keys[0]))
        check_fail(file, line, "stats have %d keys", cJSON_GetArraySize(s));
    if ((size_t)cJSON_GetArraySize(rej) != sizeof(rejected_keys) / sizeof(rejected_keys[0]))
        check_fail(file, line, "stats.rejected has %d keys", cJSON_GetArraySize(rej));
}

static void stats_should_have_every_documented_key(void)
{
    fx f;
    cJSON *s;

    fx_open(&f, NULL);
    s = fx_stats(&f);
    check_stats_shape(__FILE__, __LINE__, s);
    cJSON_Delete(s);
    fx_close(&f);
}

static void stats_should_follow_the_socket_through_its_states(void)
{
    fx f;
    cJSON *s;

    fx_open(&f, NULL);
    s = fx_stats(&f);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "idle");
    cJSON_Delete(s);
    fx_hello(&f, 7, 1);
    s = fx_stats(&f);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "connecting");
    cJSON_Delete(s);
    fx_opened(&f, "", "");
    s = fx_stats(&f);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "open");
    cJSON_Delete(s);
    fx_bye(&f, 7);
    s = fx_stats(&f);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "closing");
    cJSON_Delete(s);
    fx_closed(&f, 1000, "", 1);
    s = fx_stats(&f);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(s, "socket")->valuestring, "idle");
    cJSON_Delete(s);
    fx_close(&f);
}

static void stats_should_count_control_posts_and_errors(void)
{
    fx f;
    uint32_t big = 1000;

    fx_open(&f, "{\"maxMessageBytes\":10}");
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 1, &big);
    fx_flush(&f);
    /* welcome, open, error, ack */
    CHECK_EQ(fx_stat(&f, "controlPosts"), 4);
    CHECK_EQ(fx_stat(&f, "errors"), 1);
    CHECK_EQ(fx_stat(&f, "outOfMemory"), 0);
    CHECK(fx_stat(&f, "uptimeMs") >= 0);
    fx_close(&f);
}

static void core_should_answer_a_stats_query_to_the_tab_that_asked(void)
{
    fx f;
    const act *x;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, NULL);
    CHECK_EQ(fx_stats_query(&f, 7, 42), WSS_OK);
    CHECK_ACTS(&f, "POST:stats");
    x = fx_post(&f, "stats", 0);
    REQUIRE(x != NULL);
    CHECK_EQ(act_num(x, "v"), WSS_BUS_VERSION);
    CHECK_EQ(act_num(x, "tab"), 7);
    CHECK_EQ(act_num(x, "id"), 42);
    check_stats_shape(__FILE__, __LINE__, cJSON_GetObjectItemCaseSensitive(x->json, "stats"));
    CHECK_EQ(cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(x->json, "stats"), "framesToServer")
                 ->valuedouble,
             2);
    fx_close(&f);
}

/* package.json's "version", the one place the version is written (tests run
 * from the repository's root). */
static const char *package_version(void)
{
    static char version[64];
    char text[4096];
    FILE *fp = fopen("package.json", "rb");
    size_t n = fp != NULL ? fread(text, 1, sizeof(text) - 1, fp) : 0;
    const char *at;

    if (fp != NULL)
        fclose(fp);
    text[n] = '\0';
    at = strstr(text, "\"version\"");
    if (at == NULL || sscanf(at, "\"version\" : \"%63[^\"]\"", version) != 1)
        return "(no version in package.json)";
    return version;
}

static void core_should_give_its_version_and_a_reusable_scratch_buffer(void)
{
    fx f;
    uint32_t *a;
    uint32_t *b;

    CHECK_STR(wss_version(), package_version());
    fx_open(&f, NULL);
    a = wss_scratch(f.core, 4);
    REQUIRE(a != NULL);
    a[0] = a[3] = 5;
    b = wss_scratch(f.core, 2);
    CHECK(a == b);
    b = wss_scratch(f.core, 5000);
    REQUIRE(b != NULL);
    b[0] = 10;
    b[4999] = 10;
    fx_start(&f, 7);
    CHECK_EQ(wss_tab_frames(f.core, WSS_BUS_VERSION, 0, 7, 1, 1, 1, wss_scratch(f.core, 1), f.now),
             WSS_OK);
    fx_close(&f);
}

/* What the bus carried that the host could not pass on, and batches whose
 * numbers are not whole numbers in 0..2^32-1, are the core's to count. */
static void bus_should_count_unreadable_posts_and_batches_with_bad_numbers(void)
{
    static const double bad[] = {-1, 1.5, 4294967296.0, 1e300};
    fx f;
    uint32_t len = 10;
    size_t i;
    int col;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    CHECK_EQ(fx_unreadable(&f), WSS_EINVAL);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 1);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (col = 0; col < 4; col++) {
            double n[4] = {WSS_BUS_VERSION, 0, 7, 1};

            n[1] = f.leader;
            n[col] = bad[i];
            CHECK_EQ(fx_frames_raw(&f, n[0], n[1], n[2], n[3], 1, &len), WSS_EREJECT);
            CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 0);
            CHECK_EQ(fx_count(&f, WSS_ACT_RELEASE), 1);
        }
    }
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 1 + 4 * 4);
    /* A kept frame's number and mark likewise. */
    CHECK_EQ(fx_restore_raw(&f, 7, 1.5, 0, "{}"), WSS_EREJECT);
    CHECK_EQ(fx_restore_raw(&f, 7, 1, -1, "{}"), WSS_EREJECT);
    CHECK_EQ(fx_count(&f, WSS_ACT_RELEASE), 1);
    CHECK_EQ(fx_stat(&f, "rejected.malformed"), 1 + 4 * 4 + 2);
    CHECK_EQ(fx_restore_raw(&f, 7, 1, 0, "{}"), WSS_OK);
    /* The same numbers whole: frame 1 goes. */
    fx_frames(&f, 7, 1, 1, NULL);
    CHECK_EQ(fx_count(&f, WSS_ACT_SEND), 1);
    fx_close(&f);
}

const test_case envelope_tests[] = {
    TEST_CASE(bus_should_count_and_drop_malformed_envelopes),
    TEST_CASE(bus_should_refuse_a_key_it_reads_given_twice_and_text_that_is_not_strict_json),
    TEST_CASE(bus_should_count_and_drop_envelopes_with_missing_fields),
    TEST_CASE(bus_should_count_and_drop_envelopes_with_bad_ids),
    TEST_CASE(bus_should_count_and_drop_envelopes_with_anything_after_the_object),
    TEST_CASE(bus_should_count_a_bye_or_a_ping_from_a_tab_it_does_not_know),
    TEST_CASE(bus_should_drop_replayed_envelopes_and_frames_without_harm),
    TEST_CASE(bus_should_count_and_drop_envelopes_of_another_version),
    TEST_CASE(bus_should_count_and_drop_envelopes_of_an_unknown_type),
    TEST_CASE(bus_should_count_and_drop_envelopes_over_4096_bytes),
    TEST_CASE(bus_should_accept_an_envelope_of_exactly_4096_bytes),
    TEST_CASE(bus_should_ignore_unknown_fields_of_a_valid_envelope),
    TEST_CASE(bus_should_count_each_reject_reason_on_its_own),
    TEST_CASE(stats_should_have_every_documented_key),
    TEST_CASE(stats_should_follow_the_socket_through_its_states),
    TEST_CASE(stats_should_count_control_posts_and_errors),
    TEST_CASE(core_should_answer_a_stats_query_to_the_tab_that_asked),
    TEST_CASE(core_should_give_its_version_and_a_reusable_scratch_buffer),
    TEST_CASE(bus_should_count_unreadable_posts_and_batches_with_bad_numbers),
    TEST_END,
};
