/*
 * The core's configuration: defaults, every key's effect, and bad values
 * refused (never silently defaulted). The bounds are seen through behaviour:
 * lengths are only numbers to the core, so huge frames cost nothing here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "internal.h"

/* wss_create's result for a config; *out is NULL whenever it fails. */
static int create_rc(const char *json)
{
    wss_core *core = (wss_core *)&core; /* not NULL, to see it cleared */
    int rc = wss_create(&core, json, json ? strlen(json) : 0);

    if (rc != WSS_OK && core != NULL)
        check_fail(__FILE__, __LINE__, "wss_create failed (%d) but left a core for %s", rc, json);
    wss_destroy(rc == WSS_OK ? core : NULL);
    return rc;
}

/* A tab that has sent `n` frames of `len` bytes each while the socket connects. */
static void queue_frames(fx *f, uint32_t n, uint32_t len)
{
    uint32_t *lens = malloc(n * sizeof(uint32_t));
    uint32_t i;

    for (i = 0; i < n; i++)
        lens[i] = len;
    fx_frames(f, 7, 1, n, lens);
    free(lens);
}

static void config_should_accept_no_config_and_an_empty_object_as_defaults(void)
{
    wss_core *core = NULL;

    CHECK_EQ(wss_create(&core, NULL, 0), WSS_OK);
    CHECK(core != NULL);
    wss_destroy(core);
    CHECK_EQ(wss_create(&core, "", 0), WSS_OK);
    wss_destroy(core);
    CHECK_EQ(create_rc("{}"), WSS_OK);
    CHECK_EQ(create_rc("  { }  "), WSS_OK);
}

static void config_should_default_to_1000_queued_frames(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    queue_frames(&f, 1000, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_RELEASE), 0);
    CHECK_EQ(fx_stat(&f, "queuedFrames"), 1000);
    fx_frames(&f, 7, 1001, 1, NULL);
    CHECK_ACTS(&f, "RELEASE#1001 POST:error");
    CHECK_STR(act_str(fx_post(&f, "error", 0), "code"), "queue_full");
    fx_close(&f);
}

static void config_should_default_to_1_MiB_of_queued_bytes(void)
{
    fx f;
    uint32_t len = 1u << 20;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    fx_frames(&f, 7, 1, 1, &len);
    CHECK_ACTS(&f, "FLUSH");
    len = 1;
    fx_frames(&f, 7, 2, 1, &len);
    CHECK_ACTS(&f, "RELEASE#2 POST:error");
    CHECK_EQ(fx_stat(&f, "queuedBytes"), 1u << 20);
    fx_close(&f);
}

static void config_should_default_to_16_MiB_messages(void)
{
    fx f;
    uint32_t lens[2] = {16u << 20, (16u << 20) + 1};

    fx_open(&f, NULL);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, lens);
    CHECK_ACTS(&f, "SEND#1 DRAIN RELEASE#2 POST:error FLUSH");
    CHECK_STR(act_str(fx_post(&f, "error", 0), "code"), "too_big");
    fx_close(&f);
}

static void config_should_default_to_512_frames_and_256_KiB_per_batch(void)
{
    fx f;
    int i;

    fx_open(&f, NULL);
    fx_start(&f, 7);
    for (i = 0; i < 511; i++) {
        fx_server(&f, 1);
        CHECK_EQ(fx_count(&f, WSS_ACT_POST_DATA), 0);
    }
    fx_server(&f, 1);
    REQUIRE(fx_nth(&f, WSS_ACT_POST_DATA, 0) != NULL);
    CHECK_EQ(fx_nth(&f, WSS_ACT_POST_DATA, 0)->b, 512);
    fx_server(&f, (256u << 10) - 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_POST_DATA), 0);
    fx_server(&f, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_POST_DATA), 1);
    fx_close(&f);
}

static void config_should_default_to_no_tab_timeout_and_no_debug_lines(void)
{
    fx f;

    fx_open(&f, NULL);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    fx_advance(&f, 1e9);
    fx_tick(&f);
    CHECK_ACTS(&f, "");
    CHECK_EQ(fx_stat(&f, "tabs"), 1);
    fx_close(&f);
}

static void config_should_apply_maxQueuedFrames(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxQueuedFrames\":3}") == WSS_OK);
    fx_hello(&f, 7, 1);
    queue_frames(&f, 4, 1);
    CHECK_ACTS(&f, "RELEASE#4 POST:error FLUSH");
    fx_close(&f);
}

static void config_should_apply_maxQueuedBytes(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxQueuedBytes\":100}") == WSS_OK);
    fx_hello(&f, 7, 1);
    queue_frames(&f, 3, 50);
    CHECK_ACTS(&f, "RELEASE#3 POST:error FLUSH");
    fx_close(&f);
}

static void config_should_apply_maxMessageBytes(void)
{
    fx f;
    uint32_t lens[2] = {64, 65};

    REQUIRE(fx_open(&f, "{\"maxMessageBytes\":64}") == WSS_OK);
    fx_start(&f, 7);
    fx_frames(&f, 7, 1, 2, lens);
    CHECK_ACTS(&f, "SEND#1 DRAIN RELEASE#2 POST:error FLUSH");
    fx_close(&f);
}

static void config_should_apply_maxBatchFrames(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxBatchFrames\":2}") == WSS_OK);
    fx_start(&f, 7);
    fx_server(&f, 1);
    CHECK_ACTS(&f, "FLUSH");
    fx_server(&f, 1);
    CHECK_ACTS(&f, "DATA@1#1,2");
    fx_close(&f);
}

static void config_should_apply_maxBatchBytes(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxBatchBytes\":100}") == WSS_OK);
    fx_start(&f, 7);
    fx_server(&f, 60);
    CHECK_ACTS(&f, "FLUSH");
    fx_server(&f, 40);
    CHECK_ACTS(&f, "DATA@1#1,2");
    fx_close(&f);
}

static void config_should_apply_tabTimeoutMs(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"tabTimeoutMs\":5000}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN TIMER:5000");
    fx_close(&f);
}

static void config_should_apply_debug(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"debug\":true}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN LOG");
    REQUIRE(fx_nth(&f, WSS_ACT_LOG, 0) != NULL);
    CHECK(strstr(fx_nth(&f, WSS_ACT_LOG, 0)->text, "wsshare") != NULL);
    fx_opened(&f, "", "");
    CHECK_EQ(fx_count(&f, WSS_ACT_LOG), 1);
    fx_close(&f);
    REQUIRE(fx_open(&f, "{\"debug\":false}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_LOG), 0);
    fx_close(&f);
}

static const char *const numeric_keys[] = {
    "maxQueuedBytes", "maxQueuedFrames", "maxMessageBytes",
    "maxBatchFrames", "maxBatchBytes",   "tabTimeoutMs",
};

static void config_should_time_silent_tabs_out_when_the_host_has_no_locks(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"locks\":false}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN TIMER:180000");
    fx_close(&f);
    REQUIRE(fx_open(&f, "{\"locks\":false,\"tabTimeoutMs\":0}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    fx_close(&f);
    REQUIRE(fx_open(&f, "{\"locks\":true}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    fx_close(&f);
}

static void config_should_reject_values_of_the_wrong_type(void)
{
    static const char *const bad[] = {"\"10\"", "true", "false", "[10]", "{\"n\":10}"};
    char json[128];
    size_t k;
    size_t i;

    for (k = 0; k < sizeof(numeric_keys) / sizeof(numeric_keys[0]); k++) {
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            snprintf(json, sizeof(json), "{\"%s\":%s}", numeric_keys[k], bad[i]);
            if (create_rc(json) != WSS_EINVAL)
                check_fail(__FILE__, __LINE__, "accepted %s", json);
        }
    }
    CHECK_EQ(create_rc("{\"debug\":1}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"debug\":\"yes\"}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"locks\":0}"), WSS_EINVAL);
}

/* The profile's inputs: a name from the table, up to WSS_MAX_PROTOCOLS
 * subprotocols, a url; each of the wrong type refused. */
static void config_should_refuse_an_unknown_protocol_too_many_subprotocols_and_a_url_that_is_no_string(void)
{
    char json[1024];
    size_t n = 0;
    uint32_t i;

    CHECK_EQ(create_rc("{\"protocol\":\"stomp-ish\"}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"protocol\":7}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"protocols\":\"graphql-ws\"}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"protocols\":[1]}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"url\":1}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{\"url\":\"ws://127.0.0.1/x\"}"), WSS_OK);
    for (i = 0; i < profile_nkinds; i++) {
        snprintf(json, sizeof json, "{\"protocol\":\"%s\"}", profile_kinds[i].name);
        CHECK_EQ(create_rc(json), WSS_OK);
    }
    n += (size_t)snprintf(json + n, sizeof json - n, "{\"protocols\":[");
    for (i = 0; i < WSS_MAX_PROTOCOLS; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s\"p%u\"", i ? "," : "", i);
    snprintf(json + n, sizeof json - n, "]}");
    CHECK_EQ(create_rc(json), WSS_OK);
    snprintf(json + n, sizeof json - n, ",\"one-more\"]}");
    CHECK_EQ(create_rc(json), WSS_EINVAL);
}

static void config_should_reject_negative_fractional_and_too_large_numbers(void)
{
    static const char *const bad[] = {"-1", "1.5", "4294967296", "1e300", "-0.5"};
    char json[128];
    size_t k;
    size_t i;

    for (k = 0; k < sizeof(numeric_keys) / sizeof(numeric_keys[0]); k++) {
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            snprintf(json, sizeof(json), "{\"%s\":%s}", numeric_keys[k], bad[i]);
            if (create_rc(json) != WSS_EINVAL)
                check_fail(__FILE__, __LINE__, "accepted %s", json);
        }
        snprintf(json, sizeof(json), "{\"%s\":4294967295}", numeric_keys[k]);
        if (create_rc(json) != WSS_OK)
            check_fail(__FILE__, __LINE__, "refused %s", json);
    }
}

static void config_should_reject_zero_for_a_bound_but_accept_it_for_the_timeout(void)
{
    char json[128];
    size_t k;

    for (k = 0; k < sizeof(numeric_keys) / sizeof(numeric_keys[0]); k++) {
        int timeout = strcmp(numeric_keys[k], "tabTimeoutMs") == 0;

        snprintf(json, sizeof(json), "{\"%s\":0}", numeric_keys[k]);
        if (create_rc(json) != (timeout ? WSS_OK : WSS_EINVAL))
            check_fail(__FILE__, __LINE__, "%s for %s", timeout ? "refused" : "accepted", json);
    }
}

static void config_should_reject_text_that_is_not_a_json_object(void)
{
    static const char *const bad[] = {"[]", "1", "\"x\"", "null", "true", "nope", "{", "{\"a\":}"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (create_rc(bad[i]) != WSS_EINVAL)
            check_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

static void config_should_ignore_unknown_keys(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"url\":\"wss://x\",\"reconnect\":{\"minDelay\":1,\"jitter\":\"?\"},"
                        "\"maxQueuedFrames\":1,"
                        "\"MaxQueuedFrames\":\"case matters\",\"extra\":[1,2]}") == WSS_OK);
    fx_hello(&f, 7, 1);
    queue_frames(&f, 2, 1);
    CHECK_ACTS(&f, "RELEASE#2 POST:error FLUSH");
    fx_close(&f);
}

static void config_should_treat_null_as_absent(void)
{
    fx f;

    REQUIRE(fx_open(&f, "{\"maxQueuedFrames\":null,\"debug\":null,\"tabTimeoutMs\":null}") == WSS_OK);
    fx_hello(&f, 7, 1);
    CHECK_ACTS(&f, "WATCH:7 POST:welcome OPEN");
    queue_frames(&f, 1000, 1);
    CHECK_EQ(fx_count(&f, WSS_ACT_RELEASE), 0);
    fx_close(&f);
}

static void config_should_read_only_the_bytes_it_is_given(void)
{
    static const char text[] = "{\"maxQueuedFrames\":1}{{{ not json";
    wss_core *core = NULL;

    CHECK_EQ(wss_create(&core, text, 21), WSS_OK);
    wss_destroy(core);
    CHECK_EQ(wss_create(&core, text, 20), WSS_EINVAL);
    CHECK(core == NULL);
}

static void config_should_reject_bad_reconnect_settings(void)
{
    static const char *const bad[] = {
        "{\"reconnect\":\"yes\"}",
        "{\"reconnect\":1}",
        "{\"reconnect\":[]}",
        "{\"reconnect\":{\"minDelay\":0}}",
        "{\"reconnect\":{\"minDelay\":1.5}}",
        "{\"reconnect\":{\"maxDelay\":0}}",
        "{\"reconnect\":{\"minDelay\":2000,\"maxDelay\":1000}}",
        "{\"reconnect\":{\"factor\":0.5}}",
        "{\"reconnect\":{\"factor\":1001}}",
        "{\"reconnect\":{\"factor\":\"2\"}}",
        "{\"reconnect\":{\"maxRetries\":-1}}",
        "{\"reconnect\":{\"maxRetries\":true}}",
        "{\"reconnect\":{\"minUptime\":-5}}",
        "{\"reconnect\":{\"stopOn\":1008}}",
        "{\"reconnect\":{\"stopOn\":[999]}}",
        "{\"reconnect\":{\"stopOn\":[5000]}}",
        "{\"reconnect\":{\"stopOn\":[1008.5]}}",
        "{\"reconnect\":{\"stopOn\":[\"1008\"]}}",
        "{\"seed\":-1}",
        "{\"seed\":4294967296}",
    };
    char many[512];
    size_t used;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (create_rc(bad[i]) != WSS_EINVAL)
            check_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    /* stopOn holds 32 codes at most. */
    used = (size_t)snprintf(many, sizeof(many), "{\"reconnect\":{\"stopOn\":[");
    for (i = 0; i < 33; i++)
        used += (size_t)snprintf(many + used, sizeof(many) - used, i ? ",%zu" : "%zu", 4000 + i);
    snprintf(many + used, sizeof(many) - used, "]}}");
    CHECK_EQ(create_rc(many), WSS_EINVAL);
    strcpy(strstr(many, ",4032"), "]}}");
    CHECK_EQ(create_rc(many), WSS_OK);
}

static void config_should_accept_reconnect_true_null_and_partial_objects(void)
{
    CHECK_EQ(create_rc("{\"reconnect\":true}"), WSS_OK);
    CHECK_EQ(create_rc("{\"reconnect\":null}"), WSS_OK);
    CHECK_EQ(create_rc("{\"reconnect\":{}}"), WSS_OK);
    CHECK_EQ(create_rc("{\"reconnect\":{\"maxRetries\":null,\"factor\":1.5}}"), WSS_OK);
    CHECK_EQ(create_rc("{\"reconnect\":{\"minDelay\":30000}}"), WSS_OK);
    CHECK_EQ(create_rc("{\"seed\":0}"), WSS_OK);
    CHECK_EQ(create_rc("{\"seed\":4294967295}"), WSS_OK);
}

static void config_should_reject_anything_but_white_space_after_the_object(void)
{
    CHECK_EQ(create_rc("{} \n\t"), WSS_OK);
    CHECK_EQ(create_rc("{}x"), WSS_EINVAL);
    CHECK_EQ(create_rc("{}{}"), WSS_EINVAL);
    CHECK_EQ(create_rc("{} 1"), WSS_EINVAL);
}

/* ---- the table of keys (config.c) and wsshare.h's list of them ------------- */

/* The whole text of a file of the repository (tests run from its root). */
static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *text = NULL;
    long n;

    if (fp != NULL && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0) {
        text = malloc((size_t)n + 1);
        if (text != NULL && fread(text, 1, (size_t)n, fp) == (size_t)n)
            text[n] = '\0';
        else {
            free(text);
            text = NULL;
        }
    }
    if (fp != NULL)
        fclose(fp);
    return text;
}

/* How the header writes a row's default, min and max. */
static void format_row(const config_key *k, char def[64], char min[24], char max[24])
{
    strcpy(min, "-");
    strcpy(max, "-");
    if (k->kind == CFG_WHOLE || k->kind == CFG_FACTOR) {
        snprintf(def, 64, "%lu", (unsigned long)k->def);
        snprintf(min, 24, "%lu", (unsigned long)k->min);
        snprintf(max, 24, "%lu", (unsigned long)k->max);
    } else if (k->kind == CFG_FLAG) {
        strcpy(def, k->def != 0 ? "true" : "false");
    } else {
        snprintf(def, 64, "%s", k->text);
        if (k->kind == CFG_CODES) {
            snprintf(min, 24, "%lu", (unsigned long)k->min);
            snprintf(max, 24, "%lu", (unsigned long)k->max);
        }
    }
}

static void config_should_list_in_the_header_every_key_of_its_table_with_default_and_bounds(void)
{
    char *text = read_text("wasm/include/wsshare.h");
    char *begin;
    char *end;
    char *line;
    size_t row = 0;

    REQUIRE(text != NULL);
    begin = strstr(text, "WSS_CONFIG_KEYS_BEGIN\n");
    end = begin != NULL ? strstr(begin, "WSS_CONFIG_KEYS_END") : NULL;
    REQUIRE(begin != NULL && end != NULL);
    *end = '\0';
    line = strchr(begin, '\n') + 1;
    while (*line != '\0') {
        char *next = strchr(line, '\n');
        char key[64], def[64], min[24], max[24];
        char want_def[64], want_min[24], want_max[24];

        if (next != NULL)
            *next = '\0';
        /* Each row: " *   key default min max what it is". */
        if (sscanf(line, " * %63s %63s %23s %23s", key, def, min, max) == 4 &&
            strcmp(key, "key") != 0) {
            if (row >= config_nkeys) {
                check_fail(__FILE__, __LINE__, "wsshare.h lists %s, which config.c's table has not", key);
            } else {
                const config_key *k = &config_keys[row];

                format_row(k, want_def, want_min, want_max);
                if (strcmp(key, k->name) != 0 || strcmp(def, want_def) != 0 ||
                    strcmp(min, want_min) != 0 || strcmp(max, want_max) != 0)
                    check_fail(__FILE__, __LINE__,
                               "wsshare.h's row %zu says \"%s %s %s %s\"; config.c's table says "
                               "\"%s %s %s %s\"",
                               row + 1, key, def, min, max, k->name, want_def, want_min, want_max);
            }
            row++;
        }
        if (next == NULL)
            break;
        line = next + 1;
    }
    if (row != config_nkeys)
        check_fail(__FILE__, __LINE__, "wsshare.h lists %zu keys; config.c's table has %zu", row,
                   config_nkeys);
    free(text);
}

/* The defaults written as text in the table are the ones the parser applies. */
static void config_should_apply_the_stop_codes_its_table_gives_as_default(void)
{
    wss_config cfg;
    char list[128] = "";
    size_t i;
    const config_key *k = NULL;

    config_defaults(&cfg);
    for (i = 0; i < cfg.reconnect.nstop; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u", i > 0 ? "," : "",
                 (unsigned)cfg.reconnect.stop_on[i]);
    for (i = 0; i < config_nkeys; i++)
        if (config_keys[i].kind == CFG_CODES)
            k = &config_keys[i];
    REQUIRE(k != NULL);
    CHECK_STR(list, k->text);
}

/* `value` for key `name` of the table, nested in "reconnect" when it says so;
 * minDelay may not exceed maxDelay, so the other one leaves it room. */
static int create_with(const char *name, const char *value)
{
    char json[160];

    if (strncmp(name, "reconnect.", 10) == 0)
        snprintf(json, sizeof(json), "{\"reconnect\":{%s\"%s\":%s}}",
                 strcmp(name, "reconnect.minDelay") == 0   ? "\"maxDelay\":4294967295,"
                 : strcmp(name, "reconnect.maxDelay") == 0 ? "\"minDelay\":1,"
                                                           : "",
                 name + 10, value);
    else
        snprintf(json, sizeof(json), "{\"%s\":%s}", name, value);
    return create_rc(json);
}

static void config_should_take_each_number_at_its_bounds_and_refuse_it_beyond(void)
{
    size_t i;
    char v[40];

    for (i = 0; i < config_nkeys; i++) {
        const config_key *k = &config_keys[i];
        double step = k->kind == CFG_FACTOR ? 0.5 : 1;

        if (k->kind != CFG_WHOLE && k->kind != CFG_FACTOR)
            continue;
        snprintf(v, sizeof(v), "%.10g", (double)k->min);
        if (create_with(k->name, v) != WSS_OK)
            check_fail(__FILE__, __LINE__, "%s: its min %s refused", k->name, v);
        snprintf(v, sizeof(v), "%.10g", (double)k->max);
        if (create_with(k->name, v) != WSS_OK)
            check_fail(__FILE__, __LINE__, "%s: its max %s refused", k->name, v);
        snprintf(v, sizeof(v), "%.10g", (double)k->min - step);
        if (create_with(k->name, v) != WSS_EINVAL)
            check_fail(__FILE__, __LINE__, "%s: %s, below its min, taken", k->name, v);
        snprintf(v, sizeof(v), "%.10g", (double)k->max + step);
        if (create_with(k->name, v) != WSS_EINVAL)
            check_fail(__FILE__, __LINE__, "%s: %s, above its max, taken", k->name, v);
    }
}

const test_case config_tests[] = {
    TEST_CASE(config_should_list_in_the_header_every_key_of_its_table_with_default_and_bounds),
    TEST_CASE(config_should_apply_the_stop_codes_its_table_gives_as_default),
    TEST_CASE(config_should_take_each_number_at_its_bounds_and_refuse_it_beyond),
    TEST_CASE(config_should_accept_no_config_and_an_empty_object_as_defaults),
    TEST_CASE(config_should_default_to_1000_queued_frames),
    TEST_CASE(config_should_default_to_1_MiB_of_queued_bytes),
    TEST_CASE(config_should_default_to_16_MiB_messages),
    TEST_CASE(config_should_default_to_512_frames_and_256_KiB_per_batch),
    TEST_CASE(config_should_default_to_no_tab_timeout_and_no_debug_lines),
    TEST_CASE(config_should_apply_maxQueuedFrames),
    TEST_CASE(config_should_apply_maxQueuedBytes),
    TEST_CASE(config_should_apply_maxMessageBytes),
    TEST_CASE(config_should_apply_maxBatchFrames),
    TEST_CASE(config_should_apply_maxBatchBytes),
    TEST_CASE(config_should_apply_tabTimeoutMs),
    TEST_CASE(config_should_apply_debug),
    TEST_CASE(config_should_time_silent_tabs_out_when_the_host_has_no_locks),
    TEST_CASE(config_should_reject_values_of_the_wrong_type),
    TEST_CASE(config_should_refuse_an_unknown_protocol_too_many_subprotocols_and_a_url_that_is_no_string),
    TEST_CASE(config_should_reject_negative_fractional_and_too_large_numbers),
    TEST_CASE(config_should_reject_zero_for_a_bound_but_accept_it_for_the_timeout),
    TEST_CASE(config_should_reject_text_that_is_not_a_json_object),
    TEST_CASE(config_should_ignore_unknown_keys),
    TEST_CASE(config_should_treat_null_as_absent),
    TEST_CASE(config_should_read_only_the_bytes_it_is_given),
    TEST_CASE(config_should_reject_bad_reconnect_settings),
    TEST_CASE(config_should_accept_reconnect_true_null_and_partial_objects),
    TEST_CASE(config_should_reject_anything_but_white_space_after_the_object),
    TEST_END,
};
