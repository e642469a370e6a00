/* The loop end to end on the clean tree: generated programs agree, and the
 * checker runs on the inputs loop_opts.check_every picks (always the same
 * ones for the same bytes). */
#include "fuzz/loop/loop.h"
#include "tests/target/exec_test.h"

#include <stdio.h>
#include <string.h>

#define NINPUTS 48

static struct loop *start_loop(int check_every)
{
	char path[512];
	struct loop_opts o;
	struct cf_err err;
	struct loop *l;

	/* exec_test_start says why when the executor cannot run here */
	struct exec *probe = exec_test_start(0);
	if (!probe)
		return NULL;
	exec_stop(probe);
	snprintf(path, sizeof(path), "%s/callfuzz-exec", test_build_dir());
	loop_opts_default(&o);
	o.target.exec.exec_path = path;
	o.artifacts_dir = NULL;
	o.check_every = check_every;
	l = loop_start(&o, &err);
	if (!l)
		test_fail(__FILE__, __LINE__, "loop_start: %s", err.msg);
	return l;
}

static void run_inputs(struct loop *l, int *equal)
{
	uint8_t buf[GEN_SEED_MAX_LEN];
	struct loop_outcome out;

	*equal = 0;
	for (int i = 0; i < NINPUTS; i++) {
		size_t len = gen_bytes_from_seed(1000 + (uint64_t)i, 600, buf, sizeof(buf));

		if (loop_run_input(l, buf, len, &out) == LOOP_EQUAL)
			(*equal)++;
		else
			test_fail(__FILE__, __LINE__, "input %d: %s %s", i, out.signature, out.msg);
	}
}

TEST(loop_checks_every_input_when_asked)
{
	struct loop *l = start_loop(1);
	int equal;

	if (!l)
		return;
	run_inputs(l, &equal);
	CHECK_EQ(equal, NINPUTS);
	CHECK_EQ(loop_get_stats(l)->checked, NINPUTS);
	CHECK_EQ(loop_get_stats(l)->programs, NINPUTS);
	loop_stop(l);
}

TEST(loop_samples_the_checker_by_input)
{
	struct loop *a = start_loop(4), *b;
	uint64_t checked_a;
	int equal;

	if (!a)
		return;
	run_inputs(a, &equal);
	CHECK_EQ(equal, NINPUTS);
	checked_a = loop_get_stats(a)->checked;
	/* about a quarter; 48 inputs make 0 or 48 vanishingly unlikely, and
	 * the hash is fixed, so this cannot flake */
	CHECK_MSG(checked_a > 0 && checked_a < NINPUTS, "checked %llu of %d", (unsigned long long)checked_a,
		  NINPUTS);
	loop_stop(a);

	b = start_loop(4);
	if (!b)
		return;
	run_inputs(b, &equal);
	CHECK_EQ(loop_get_stats(b)->checked, checked_a); /* the same inputs, the same choice */
	loop_stop(b);
}

/* loop_queue_input + loop_flush (fuzz/diff.c's batches): each input is
 * prepared when it comes (the checker ran), runs at the flush, and has
 * its own outcome there, in order; a full queue says so. */
TEST(loop_queued_inputs_run_at_the_flush_each_with_its_outcome)
{
	static struct loop_outcome outs[LOOP_MAX_BATCH];
	uint8_t buf[GEN_SEED_MAX_LEN];
	struct loop_outcome out;
	struct loop *l = start_loop(1);
	int n = 12;

	if (!l)
		return;
	for (int i = 0; i < n; i++) {
		size_t len = gen_bytes_from_seed(1000 + (uint64_t)i, 600, buf, sizeof(buf));

		CHECK_EQ(loop_queue_input(l, buf, len, &out), LOOP_QUEUED);
		CHECK_EQ(loop_get_stats(l)->checked, 0); /* counted at the flush, with the case */
	}
	CHECK_EQ(loop_queued(l), n);
	CHECK_EQ(loop_get_stats(l)->programs, 0);
	CHECK_EQ(loop_flush(l, outs), n);
	for (int i = 0; i < n; i++)
		CHECK_MSG(outs[i].verdict == LOOP_EQUAL, "input %d: %d %s", i, outs[i].verdict, outs[i].msg);
	CHECK_EQ(loop_queued(l), 0);
	CHECK_EQ(loop_flush(l, outs), 0);
	CHECK_EQ(loop_get_stats(l)->programs, n);
	CHECK_EQ(loop_get_stats(l)->checked, n);
	for (int i = 0; i < LOOP_MAX_BATCH; i++)
		loop_queue_input(l, buf, 8, &out);
	CHECK_EQ(loop_queue_input(l, buf, 8, &out), LOOP_ERROR);
	loop_stop(l); /* drops what waits */
}

/* loop_send + loop_receive (fuzz/diff.c's pipeline): a batch in flight
 * leaves the queue free for the next inputs, its outcomes come at the
 * receive, in order; one batch at most is in flight, and loop_stop drops
 * one that was never received. */
TEST(loop_pipeline_one_batch_in_flight_while_the_next_fills)
{
	static struct loop_outcome outs[LOOP_MAX_BATCH];
	uint8_t buf[GEN_SEED_MAX_LEN];
	struct loop_outcome out;
	struct loop *l = start_loop(1);
	char msg[256];

	if (!l)
		return;
	CHECK_EQ(loop_receive(l, outs), 0); /* nothing in flight */
	for (int i = 0; i < 5; i++) {
		size_t len = gen_bytes_from_seed(2000 + (uint64_t)i, 600, buf, sizeof(buf));

		CHECK_EQ(loop_queue_input(l, buf, len, &out), LOOP_QUEUED);
	}
	CHECK_EQ(loop_send(l, msg, sizeof(msg)), 0);
	CHECK(loop_in_flight(l));
	CHECK_EQ(loop_queued(l), 0);
	for (int i = 5; i < 8; i++) {
		size_t len = gen_bytes_from_seed(2000 + (uint64_t)i, 600, buf, sizeof(buf));

		CHECK_EQ(loop_queue_input(l, buf, len, &out), LOOP_QUEUED);
	}
	CHECK_EQ(loop_queued(l), 3);
	CHECK_EQ(loop_get_stats(l)->programs, 0);
	CHECK_EQ(loop_send(l, msg, sizeof(msg)), -1);
	CHECK_MSG(strstr(msg, "in flight") != NULL, "%s", msg);
	CHECK_EQ(loop_flush(l, outs), 3);
	CHECK_EQ(outs[0].verdict, LOOP_ERROR);
	CHECK_EQ(loop_queued(l), 3); /* a refused flush loses nothing */
	CHECK_EQ(loop_receive(l, outs), 5);
	for (int i = 0; i < 5; i++)
		CHECK_MSG(outs[i].verdict == LOOP_EQUAL, "input %d: %d %s", i, outs[i].verdict, outs[i].msg);
	CHECK_EQ(loop_get_stats(l)->programs, 5);
	CHECK(!loop_in_flight(l));
	CHECK_EQ(loop_send(l, msg, sizeof(msg)), 0);
	CHECK_EQ(loop_receive(l, outs), 3);
	CHECK_EQ(loop_get_stats(l)->programs, 8);
	CHECK_EQ(loop_receive(l, outs), 0);
	for (int i = 0; i < 4; i++) {
		size_t len = gen_bytes_from_seed(3000 + (uint64_t)i, 600, buf, sizeof(buf));

		CHECK_EQ(loop_queue_input(l, buf, len, &out), LOOP_QUEUED);
	}
	CHECK_EQ(loop_send(l, msg, sizeof(msg)), 0);
	loop_stop(l); /* drops the batch in flight (the sanitizer build sees no leak) */
}
