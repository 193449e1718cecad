/*
 * Unit tests for detect/detect: the detector table machinery. A detector
 * defined only here (descriptor, state, findings with their kind) runs
 * through pc_detect_new/run/free and its findings reach the policy with
 * no other file knowing it: what adding a detector takes (its file, the
 * table, the build list, its tests). Also: init once per scanner, states
 * freed, a failing init fails the set, the CPU budget stops the run, and
 * the real table's descriptors are whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "decide/policy.h"
#include "detect/detect.h"

/* A test detector: counts what it sees in its own state, and reports a
 * sender-side impersonation when the subject says so. */
typedef struct probe_state {
	int runs;
	const pc_config *config;
} probe_state;

static int inits, frees;

static void *probe_init(const pc_config *c)
{
	probe_state *s = calloc(1, sizeof *s);
	if (s)
		s->config = c;
	inits++;
	return s;
}

static void probe_free(void *p)
{
	frees++;
	free(p);
}

static void probe_run(pc_detect_ctx *ctx, pc_msg *m)
{
	probe_state *s = ctx->state;
	s->runs++;
	if (m->subject && !strcmp(m->subject, "impostor"))
		pc_msg_finding(m, PC_FINDING_IMPERSONATION, "probe.impostor", 8, "the probe says so");
}

/* its own settings: [detector.probe] score, strict, word */
static const pc_setting probe_settings[] = {
    {"score", PC_SETTING_NUMBER, 0, 10, "8"},
    {"strict", PC_SETTING_YESNO, 0, 0, "no"},
    {"word", PC_SETTING_STRING, 0, 0, "impostor"},
    {NULL, 0, 0, 0, NULL},
};

static const pc_detector probe = {"probe", PC_FINDING_IMPERSONATION, probe_init, probe_run, probe_free, probe_settings};

/* A stateless detector: its ctx->state is NULL. */
static int stateless_runs;
static void stateless_run(pc_detect_ctx *ctx, pc_msg *m)
{
	(void)m;
	assert_null(ctx->state);
	stateless_runs++;
}
static const pc_detector stateless = {"stateless", PC_FINDING_DAMAGE, NULL, stateless_run, NULL, NULL};

static void *failing_init(const pc_config *c)
{
	(void)c;
	return NULL;
}
static const pc_detector failing = {"failing", PC_FINDING_DAMAGE, failing_init, stateless_run, probe_free, NULL};

typedef struct fixture {
	pc_config cfg;
	pc_arena *a;
	pc_msg m;
} fixture;

static int setup(void **state)
{
	static fixture fx;
	memset(&fx, 0, sizeof fx);
	pc_config_defaults(&fx.cfg);
	fx.a = pc_arena_new(1 << 20);
	fx.m.arena = fx.a;
	fx.m.config = &fx.cfg;
	inits = frees = stateless_runs = 0;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	pc_arena_free(fx->a);
	return 0;
}

static void test_table_machinery(void **state)
{
	fixture *fx = *state;
	const pc_detector *const table[] = {&stateless, &probe};
	pc_detect *d = pc_detect_new(&fx->cfg, table, 2);
	assert_non_null(d);
	assert_int_equal(inits, 1);
	pc_detect_ctx *ctx = pc_detect_context(d);
	assert_ptr_equal(ctx->config, &fx->cfg);
	assert_non_null(ctx->protect);
	for (int i = 0; i < 3; i++)
		pc_detect_run(d, &fx->m);
	assert_int_equal(inits, 1); /* once per scanner, not per message */
	assert_int_equal(stateless_runs, 3);
	assert_int_equal(fx->m.findings.n, 0);
	pc_detect_free(d);
	assert_int_equal(frees, 1);
}

static void test_findings_reach_the_policy_by_kind(void **state)
{
	fixture *fx = *state;
	const pc_detector *const table[] = {&probe};
	pc_detect *d = pc_detect_new(&fx->cfg, table, 1);
	assert_non_null(d);
	fx->m.subject = "impostor";
	pc_detect_run(d, &fx->m);
	assert_int_equal(fx->m.findings.n, 1);
	const pc_finding *f = fx->m.findings.v[0];
	assert_int_equal(f->kind, PC_FINDING_IMPERSONATION);
	/* the policy knows nothing of "probe.*": it reads the kind */
	pc_policy_decide(&fx->m);
	assert_string_equal(fx->m.rule, "impersonation");
	assert_int_equal(fx->m.verdict, fx->cfg.impersonation_action);
	assert_ptr_equal(fx->m.reasons.v[0], f);
	/* nor does the history: this sender may not become familiar */
	assert_false(pc_policy_established(&fx->m, PC_SENDER_FAMILIAR, NULL));
	pc_detect_free(d);
}

static void test_failing_init(void **state)
{
	fixture *fx = *state;
	const pc_detector *const table[] = {&probe, &failing};
	assert_null(pc_detect_new(&fx->cfg, table, 2));
	assert_int_equal(inits, 1);
	assert_int_equal(frees, 1); /* the probe's state, made before, is freed */
}

static void test_out_of_time(void **state)
{
	fixture *fx = *state;
	const pc_detector *const table[] = {&stateless, &stateless};
	pc_detect *d = pc_detect_new(&fx->cfg, table, 2);
	assert_non_null(d);
	fx->m.out_of_time = true; /* the budget is spent: no detector runs */
	pc_detect_run(d, &fx->m);
	assert_int_equal(stateless_runs, 0);
	pc_detect_free(d);
}

static void test_real_table(void **state)
{
	fixture *fx = *state;
	assert_true(pc_detector_count > 0);
	for (size_t i = 0; i < pc_detector_count; i++) {
		const pc_detector *t = pc_detectors[i];
		assert_non_null(t->name);
		assert_non_null(t->run);
		assert_true(!t->init == !t->free); /* a state made is a state freed */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(pc_detectors[j]->name, t->name);
	}
	pc_detect *d = pc_detect_new(&fx->cfg, pc_detectors, pc_detector_count);
	assert_non_null(d);
	pc_detect_free(d);
}

/* A detector's own settings: declared in its file, written in a
 * [detector.NAME] section or with --set, checked on load (FILE:LINE),
 * read with their defaults; an unknown key or detector is refused. */
static void test_settings(void **state)
{
	(void)state;
	const pc_detector *const table[] = {&probe, &stateless};
	char err[512], path[] = "/tmp/pc-test-detect-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "[limits]\nurls = 100\n[detector.probe]\nscore = 4.5\nstrict = yes\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	pc_config c;
	pc_config_defaults(&c);
	assert_int_equal(pc_config_load(&c, path, err, sizeof err), 0);
	assert_int_equal(pc_detect_check_settings(&c, table, 2, err, sizeof err), 0);
	assert_true(pc_setting_number(&c, &probe, &probe_settings[0]) == 4.5);
	assert_true(pc_setting_yes(&c, &probe, &probe_settings[1]));
	assert_string_equal(pc_setting_str(&c, &probe, &probe_settings[2]), "impostor"); /* the default */
	/* --set, the last one wins */
	assert_int_equal(pc_config_set(&c, "detector.probe.word", "faker", err, sizeof err), 0);
	assert_string_equal(pc_setting_str(&c, &probe, &probe_settings[2]), "faker");
	/* a bad value: refused with where it was written */
	assert_int_equal(pc_config_set(&c, "detector.probe.score", "11", err, sizeof err), 0);
	assert_int_equal(pc_detect_check_settings(&c, table, 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "--set: detector.probe.score: expected a number between 0 and 10"));
	pc_config_free(&c);
	/* an unknown key and an unknown detector, with FILE:LINE */
	const char *bad[] = {"[detector.probe]\nscroe = 1\n", "[detector.nobody]\nscore = 1\n"};
	const char *why[] = {":2: detector.probe.scroe: that detector has no such setting",
	                     ":2: detector.nobody.score: no such detector"};
	for (int i = 0; i < 2; i++) {
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
		close(fd);
		pc_config_defaults(&c);
		assert_int_equal(pc_config_load(&c, path, err, sizeof err), 0);
		assert_int_equal(pc_detect_check_settings(&c, table, 2, err, sizeof err), -1);
		assert_non_null(strstr(err, why[i]));
		assert_non_null(strstr(err, path));
		pc_config_free(&c);
	}
	/* not detector.NAME.KEY */
	pc_config_defaults(&c);
	assert_int_equal(pc_config_set(&c, "detector.probe", "1", err, sizeof err), -1);
	pc_config_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table_machinery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_findings_reach_the_policy_by_kind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failing_init, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_real_table, setup, teardown),
	    cmocka_unit_test(test_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
