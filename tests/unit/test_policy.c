/*
 * Unit tests for decide/policy: each rule, their order, the configured
 * actions, tracker scores counted once, and the reasons kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decide/policy.h"

typedef struct fixture {
	pc_config cfg;
	pc_arena *a;
	pc_msg m;
	pc_tracker t;
} fixture;

static int setup(void **state)
{
	static fixture fx;
	memset(&fx, 0, sizeof fx);
	pc_config_defaults(&fx.cfg);
	fx.a = pc_arena_new(1 << 20);
	fx.m.arena = fx.a;
	fx.m.config = &fx.cfg;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	pc_arena_free(fx->a);
	return 0;
}

static void add_tracker(fixture *fx, double score)
{
	pc_msg_finding(&fx->m, PC_FINDING_TRACKER, "tracker.pixel", score, "pixel");
	pc_vec_push(fx->a, &fx->m.trackers, &fx->t);
}

static void test_clean(void **state)
{
	fixture *fx = *state;
	pc_msg_finding(&fx->m, PC_FINDING_FIRST_CONTACT, "history.first-contact", 1, "new");
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_ACCEPT);
	assert_string_equal(fx->m.rule, "clean");
	assert_int_equal(fx->m.reasons.n, 0);
	assert_true(fx->m.score == 1.0);
}

static void test_tracker_only(void **state)
{
	fixture *fx = *state;
	for (int i = 0; i < 50; i++)
		add_tracker(fx, 4);
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_NEUTRALISE);
	assert_string_equal(fx->m.rule, "tracker");
	assert_int_equal(fx->m.reasons.n, 50);
	/* fifty trackers are one fact: no score quarantine */
	assert_true(fx->m.score == 4.0);
}

static void test_impersonation_and_tracker(void **state)
{
	fixture *fx = *state;
	pc_msg_finding(&fx->m, PC_FINDING_FIRST_CONTACT, "history.first-contact", 1, "new");
	pc_finding *imp = pc_msg_finding(&fx->m, PC_FINDING_IMPERSONATION, "impersonation.display-name", 8, "name");
	add_tracker(fx, 4);
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_QUARANTINE);
	assert_string_equal(fx->m.rule, "impersonation+tracker");
	assert_int_equal(fx->m.reasons.n, 2);
	assert_ptr_equal(fx->m.reasons.v[0], imp);
}

static void test_impersonation_alone_and_weak(void **state)
{
	fixture *fx = *state;
	pc_msg_finding(&fx->m, PC_FINDING_IMPERSONATION, "impersonation.lookalike", 2, "link host");
	add_tracker(fx, 4);
	pc_policy_decide(&fx->m);
	/* a link-host lookalike (score < 4) does not speak for the sender */
	assert_int_equal(fx->m.verdict, PC_ACTION_NEUTRALISE);
	assert_string_equal(fx->m.rule, "tracker");
	fx->m.findings.n = 0;
	fx->m.trackers.n = 0;
	pc_msg_finding(&fx->m, PC_FINDING_IMPERSONATION, "impersonation.lookalike", 6, "from");
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_NEUTRALISE);
	assert_string_equal(fx->m.rule, "impersonation");
	fx->cfg.impersonation_action = PC_ACTION_QUARANTINE;
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_QUARANTINE);
}

static void test_score_threshold(void **state)
{
	fixture *fx = *state;
	pc_msg_finding(&fx->m, PC_FINDING_AUTH, "auth.dmarc", 5, "fail");
	pc_msg_finding(&fx->m, PC_FINDING_HEADER, "header.divergence", 5, "reply-to");
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_ACCEPT);
	pc_msg_finding(&fx->m, PC_FINDING_AUTH, "auth.spf", 5, "fail");
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_QUARANTINE);
	assert_string_equal(fx->m.rule, "score");
	assert_int_equal(fx->m.reasons.n, 3);
	fx->cfg.quarantine_score = 0; /* off */
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_ACCEPT);
}

static void test_temperror_and_limit(void **state)
{
	fixture *fx = *state;
	pc_msg_finding(&fx->m, PC_FINDING_AUTH_TEMPERROR, "auth.temperror", 0, "dns timeout");
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_ACCEPT);
	assert_string_equal(fx->m.rule, "auth-temperror");
	fx->cfg.temperror_action = PC_ACTION_QUARANTINE;
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_QUARANTINE);
	assert_string_equal(fx->m.rule, "auth-temperror");
	pc_msg_limit(&fx->m, "urls", 10, "too many");
	pc_policy_decide(&fx->m);
	/* equal actions: the earlier, more specific rule names it */
	assert_string_equal(fx->m.rule, "limit");
	fx->cfg.limit_action = PC_ACTION_REJECT;
	pc_policy_decide(&fx->m);
	assert_int_equal(fx->m.verdict, PC_ACTION_REJECT);
	assert_string_equal(fx->m.rule, "limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tracker_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_impersonation_and_tracker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_impersonation_alone_and_weak, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_score_threshold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_temperror_and_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
