/*
 * The native test program: every suite, in one binary that the Makefile
 * builds plain (test-native, test-valgrind) and with sanitizers (test-asan).
 * An argument runs only the tests whose names contain it.
 */
#include "harness.h"

extern const test_case config_tests[];
extern const test_case tab_tests[];
extern const test_case upstream_tests[];
extern const test_case downstream_tests[];
extern const test_case envelope_tests[];
extern const test_case oom_tests[];
extern const test_case property_tests[];
extern const test_case leader_tests[];
extern const test_case election_tests[];
extern const test_case failover_tests[];
extern const test_case reconnect_tests[];
extern const test_case session_tests[];
extern const test_case link_tests[];
extern const test_case jscan_tests[];
extern const test_case graphql_tests[];
extern const test_case jsonrpc_tests[];
extern const test_case profile_tests[];
extern const test_case actioncable_tests[];
extern const test_case stomp_tests[];
extern const test_case socketio_tests[];
extern const test_case phoenix_tests[];
extern const test_case number_tests[];
extern const test_case locks_tests[];

int main(int argc, char **argv)
{
    static const test_case *const suites[] = {
        config_tests, tab_tests,  upstream_tests, downstream_tests,
        envelope_tests, oom_tests, property_tests, leader_tests, election_tests,
        failover_tests, reconnect_tests, session_tests, link_tests, jscan_tests, graphql_tests,
        jsonrpc_tests, profile_tests, actioncable_tests, stomp_tests, socketio_tests, phoenix_tests, number_tests, locks_tests, NULL,
    };

    return run_suites(suites, argc > 1 ? argv[1] : NULL) == 0 ? 0 : 1;
}
