/* tests/loop/loop_artifact.c: artifact buckets (fuzz/loop/loop.h,
 * harness/repro/artifact.c): created complete, the smaller input kept, every
 * occurrence counted in hits, consistent under concurrent writers, and
 * never lost or torn when a writer is killed at any moment. */
#include "fuzz/loop/loop.h"
#include "tests/test.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *read_text(const char *dir, const char *name, size_t *len)
{
	char path[1200];
	struct stat st;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	buf = calloc(1, (size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	if (len)
		*len = (size_t)st.st_size;
	return buf;
}

static int count_lines(const char *dir, const char *name)
{
	char *t = read_text(dir, name, NULL);
	int n = 0;

	if (!t)
		return -1;
	for (char *s = t; *s; s++)
		n += *s == '\n';
	free(t);
	return n;
}

/* Entries of dir whose name starts with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void rm_rf(const char *dir)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

/* An occurrence of size n: input n bytes of 'x', prog.s and report.txt
 * naming n, so that a torn bucket (input of one occurrence, prog.s of
 * another) shows. */
static int write_occurrence(const char *dir, const char *sig, size_t n, int *action)
{
	static uint8_t input[4096];
	char prog[64], report[64], hit[64], path[512];
	struct artifact a;
	struct cf_err err;

	memset(input, 'x', n);
	snprintf(prog, sizeof(prog), "; occurrence %zu\n", n);
	snprintf(report, sizeof(report), "report %zu\n", n);
	snprintf(hit, sizeof(hit), "hit %zu", n);
	a = (struct artifact){ .signature = sig, .input = input, .input_len = n, .prog_text = prog, .report = report,
			       .hit_line = hit };
	*action = artifact_write(dir, &a, path, sizeof(path), &err);
	if (*action < 0)
		fprintf(stderr, "artifact_write: %s\n", err.msg);
	return *action < 0 ? -1 : 0;
}

/* The bucket is complete and its files come from one occurrence. Returns
 * the input size, or -1. */
static long bucket_consistent(const char *bucket)
{
	char *prog, *report, *input;
	char want[64];
	size_t n = 0;
	long rc = -1;

	input = read_text(bucket, "input", &n);
	prog = read_text(bucket, "prog.s", NULL);
	report = read_text(bucket, "report.txt", NULL);
	if (input && prog && report) {
		snprintf(want, sizeof(want), "; occurrence %zu\n", n);
		if (!strcmp(prog, want)) {
			snprintf(want, sizeof(want), "report %zu\n", n);
			if (!strcmp(report, want))
				rc = (long)n;
		}
	}
	free(input);
	free(prog);
	free(report);
	return rc;
}

static char *scratch(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/callfuzz-artifact-XXXXXX");
	return mkdtemp(dir);
}

TEST(artifact_created_kept_and_replaced_by_smaller_input)
{
	char *dir = scratch(), bucket[256];
	int action;

	REQUIRE(dir);
	snprintf(bucket, sizeof(bucket), "%s/RETVAL", dir);

	REQUIRE(!write_occurrence(dir, "RETVAL", 100, &action));
	CHECK_EQ(action, ARTIFACT_CREATED);
	CHECK_EQ(bucket_consistent(bucket), 100);
	CHECK_EQ(count_lines(bucket, "hits"), 1);

	/* Larger: the bucket keeps its input; the occurrence is counted. */
	REQUIRE(!write_occurrence(dir, "RETVAL", 300, &action));
	CHECK_EQ(action, ARTIFACT_KEPT);
	CHECK_EQ(bucket_consistent(bucket), 100);
	CHECK_EQ(count_lines(bucket, "hits"), 2);

	/* Same size: kept too (no churn). */
	REQUIRE(!write_occurrence(dir, "RETVAL", 100, &action));
	CHECK_EQ(action, ARTIFACT_KEPT);

	/* Smaller: replaced as a whole, hits carried over. */
	REQUIRE(!write_occurrence(dir, "RETVAL", 40, &action));
	CHECK_EQ(action, ARTIFACT_REPLACED);
	CHECK_EQ(bucket_consistent(bucket), 40);
	CHECK_EQ(count_lines(bucket, "hits"), 4);
	{
		char *hits = read_text(bucket, "hits", NULL);

		CHECK_STR(hits, "hit 100\nhit 300\nhit 100\nhit 40\n");
		free(hits);
	}

	/* Another signature is another bucket; no temporary left behind. */
	REQUIRE(!write_occurrence(dir, "TRACE-kf_args12-arg9", 10, &action));
	CHECK_EQ(action, ARTIFACT_CREATED);
	CHECK_EQ(count_entries(dir, ".tmp-"), 0);
	CHECK_EQ(count_entries(dir, "RETVAL"), 1);
	rm_rf(dir);
}

TEST(artifact_refuses_signature_that_is_not_a_name)
{
	char *dir = scratch(), path[256];
	struct artifact a = { .signature = "../x", .input = (const uint8_t *)"a", .input_len = 1 };
	struct cf_err err;

	REQUIRE(dir);
	CHECK(artifact_write(dir, &a, path, sizeof(path), &err) < 0);
	a.signature = "";
	CHECK(artifact_write(dir, &a, path, sizeof(path), &err) < 0);
	rm_rf(dir);
}

/* Four processes, 25 occurrences each, sizes interleaved: every hit is
 * counted, the smallest input wins, the bucket is never torn. */
TEST(artifact_concurrent_writers_keep_the_smallest)
{
	char *dir = scratch(), bucket[256];
	pid_t pids[4];

	REQUIRE(dir);
	snprintf(bucket, sizeof(bucket), "%s/STACK-hash", dir);
	for (int w = 0; w < 4; w++) {
		pids[w] = fork();
		REQUIRE(pids[w] >= 0);
		if (pids[w] == 0) {
			int action, bad = 0;

			for (int i = 0; i < 25; i++)
				bad |= write_occurrence(dir, "STACK-hash", (size_t)(1000 - 37 * i - w), &action);
			_exit(bad);
		}
	}
	for (int w = 0; w < 4; w++) {
		int st;

		waitpid(pids[w], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK_EQ(count_lines(bucket, "hits"), 100);
	CHECK_EQ(bucket_consistent(bucket), 1000 - 37 * 24 - 3);
	CHECK_EQ(count_entries(dir, ".tmp-"), 0);
	rm_rf(dir);
}

/* A writer SIGKILLed at arbitrary moments while it replaces the bucket
 * with ever smaller inputs: afterwards the bucket is always there and
 * whole (input, prog.s and report.txt of one occurrence). */
TEST(artifact_survives_a_killed_writer)
{
	char *dir = scratch(), bucket[256];
	struct timespec ts;
	int action;

	REQUIRE(dir);
	snprintf(bucket, sizeof(bucket), "%s/CRASH-SEGV-LDX-DW", dir);
	REQUIRE(!write_occurrence(dir, "CRASH-SEGV-LDX-DW", 4000, &action));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srand((unsigned)ts.tv_nsec);
	for (int round = 0; round < 20; round++) {
		long before = bucket_consistent(bucket);
		pid_t pid = fork();
		int st;

		REQUIRE(pid >= 0);
		if (pid == 0) {
			for (size_t n = (size_t)before - 1; n > 0; n--)
				write_occurrence(dir, "CRASH-SEGV-LDX-DW", n, &action);
			_exit(0);
		}
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		long after = bucket_consistent(bucket);

		CHECK_MSG(after > 0 && after <= before, "round %d: bucket %ld after a kill (was %ld)", round, after,
			  before);
		if (after <= 1)
			break;
	}
	rm_rf(dir);
}

TEST(loop_stats_file_is_written_whole)
{
	char *dir = scratch(), path[256];
	struct loop_stats st = { 0 };
	char *text;

	REQUIRE(dir);
	st.programs = 12345;
	st.mismatches = 2;
	st.stage_ns[LOOP_STAGE_EXEC] = 5000000000ull; /* past 32 bits */
	snprintf(path, sizeof(path), "%s/4242", dir);
	REQUIRE(loop_stats_write(&st, path) == 0);
	text = read_text(dir, "4242", NULL);
	CHECK_CONTAINS(text, "programs 12345\n");
	CHECK_CONTAINS(text, "mismatches 2\n");
	CHECK_CONTAINS(text, "ns_execute 5000000000\n");
	free(text);
	CHECK_EQ(count_entries(dir, "4242.tmp"), 0);
	rm_rf(dir);
}
