/* tests/repro/bucket_target.c: a bucket's `target` file (target_id_write,
 * target_id_read, bucket_target) names the target that found it, and
 * min/triage replay there (cli_target_from_id): the same kind, arch and
 * image, and on arm64 the same pointer-authentication setting, which the
 * recorded kernel command line gives (arm64.nopauth or not:
 * target_id_pauth). */
#include "harness/repro/repro.h"
#include "harness/target/target.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A bucket directory holding only a target file with these lines. */
static void make_bucket(char *dir, size_t size, const char *lines)
{
	char path[512];
	FILE *f;

	snprintf(dir, size, "/tmp/callfuzz-bucket-target.%d.XXXXXX", (int)getpid());
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		return;
	}
	snprintf(path, sizeof(path), "%s/target", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(lines, f);
		fclose(f);
	}
}

static void drop_bucket(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/target", dir);
	unlink(path);
	rmdir(dir);
}

/* The target id of a bucket whose target file says `lines`. */
static void id_of(const char *lines, struct target_id *id)
{
	char dir[128];

	memset(id, 0, sizeof(*id));
	make_bucket(dir, sizeof(dir), lines);
	if (!dir[0])
		return;
	bucket_target(dir, id);
	drop_bucket(dir);
}

TEST(target_file_round_trip_keeps_the_command_line)
{
	struct target_id in, out;
	struct cf_err err;
	char path[] = "/tmp/callfuzz-target-id.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	REQUIRE(fd >= 0);
	memset(&in, 0, sizeof(in));
	snprintf(in.kind, sizeof(in.kind), "vm");
	snprintf(in.arch, sizeof(in.arch), "arm64");
	snprintf(in.kernel, sizeof(in.kernel), "/k/vmlinuz");
	snprintf(in.release, sizeof(in.release), "7.2.13+deb14-cloud-arm64");
	snprintf(in.runner, sizeof(in.runner), "qemu-system");
	snprintf(in.cmdline, sizeof(in.cmdline), "console=ttyAMA0 quiet panic=-1 arm64.nopauth");
	f = fdopen(fd, "w");
	REQUIRE(f);
	CHECK_EQ(target_id_write(&in, f), 0);
	fclose(f);
	CHECK_EQ(target_id_read(path, &out, &err), 0);
	unlink(path);
	CHECK_STR(out.kind, "vm");
	CHECK_STR(out.arch, "arm64");
	CHECK_STR(out.kernel, "/k/vmlinuz");
	CHECK_STR(out.release, "7.2.13+deb14-cloud-arm64");
	CHECK_STR(out.cmdline, "console=ttyAMA0 quiet panic=-1 arm64.nopauth");
}

TEST(replay_keeps_pointer_authentication_of_the_finding)
{
	struct target_id id;

	/* found with --pauth: the guest booted without arm64.nopauth */
	id_of("target vm\narch arm64\nkernel /k/vmlinuz\ncmdline console=ttyAMA0 quiet panic=-1\n", &id);
	CHECK_STR(id.kind, "vm");
	CHECK_STR(id.kernel, "/k/vmlinuz");
	CHECK(target_id_pauth(&id));

	/* found with the default */
	id_of("target vm\narch arm64\nkernel /k/vmlinuz\ncmdline console=ttyAMA0 quiet panic=-1 arm64.nopauth\n",
	      &id);
	CHECK_STR(id.kind, "vm");
	CHECK(!target_id_pauth(&id));

	/* written before the command line was recorded: the default */
	id_of("target vm\narch arm64\nkernel /k/vmlinuz\n", &id);
	CHECK_STR(id.kind, "vm");
	CHECK(!target_id_pauth(&id));

	/* x86-64 has no pointer authentication to keep */
	id_of("target vm\narch x86_64\nkernel /k/bzImage\ncmdline console=ttyS0 quiet panic=-1\n", &id);
	CHECK_STR(id.arch, "x86_64");
	CHECK(!target_id_pauth(&id));
}
