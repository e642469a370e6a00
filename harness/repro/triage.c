/* harness/repro/triage.c: read an artifacts directory (fuzz/loop/loop.h,
 * "artifacts": one <signature>/ directory per bucket with input, prog.s,
 * report.txt, hits, and min.s once minimized) into one row per bucket. */
#define _GNU_SOURCE
#include "harness/repro/repro.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool file_mtime(const char *path, long long *t)
{
	struct stat sb;

	if (stat(path, &sb))
		return false;
	*t = (long long)sb.st_mtime;
	return true;
}

/* Birth time of path where the filesystem keeps one: hits is carried over
 * (hard link) when a bucket is replaced, so its inode is as old as the
 * bucket. */
static bool file_btime(const char *path, long long *t)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, 0, STATX_BTIME, &sx) || !(sx.stx_mask & STATX_BTIME))
		return false;
	*t = (long long)sx.stx_btime.tv_sec;
	return true;
}

/* Lines of hits; *first_time: the leading unix time of its first line (the
 * fuzz loop writes "TIME pid=... ..."), 0 if none. */
static long count_hits(const char *path, long long *first_time)
{
	char line[1024];
	long n = 0;
	FILE *f = fopen(path, "r");

	*first_time = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!n)
			*first_time = strtoll(line, NULL, 10);
		if (strchr(line, '\n') || feof(f))
			n++;
	}
	fclose(f);
	return n;
}

static int repro_insns(const char *path)
{
	char rerr[256];
	struct cf_prog p;
	struct cf_err err;
	size_t len;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));
	int n = -1;

	if (!text)
		return -1;
	cf_prog_init(&p);
	if (!cf_asm_parse(text, len, path, &p, &err))
		n = min_insn_count(&p);
	cf_prog_free(&p);
	free(text);
	return n;
}

static int bucket_cmp(const void *a, const void *b)
{
	const struct triage_bucket *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return strcmp(x->signature, y->signature);
}

static bool read_bucket(const char *dir, const char *name, struct triage_bucket *b)
{
	char path[2200];
	long long t, hits_first;

	memset(b, 0, sizeof(*b));
	snprintf(b->signature, sizeof(b->signature), "%s", name);
	snprintf(b->dir, sizeof(b->dir), "%s/%s", dir, name);
	snprintf(b->kind, sizeof(b->kind), "%.*s", (int)strcspn(name, "-"), name);

	snprintf(path, sizeof(path), "%s/min.s", b->dir);
	if (access(path, R_OK) == 0) {
		snprintf(b->repro, sizeof(b->repro), "min.s");
	} else {
		snprintf(path, sizeof(path), "%s/prog.s", b->dir);
		if (access(path, R_OK))
			return false; /* not a bucket (a stray .tmp-* or other file) */
		snprintf(b->repro, sizeof(b->repro), "prog.s");
	}
	b->repro_insns = repro_insns(path);
	bucket_target(b->dir, &b->id);

	snprintf(path, sizeof(path), "%s/hits", b->dir);
	b->hits = count_hits(path, &hits_first);
	if (!b->hits)
		b->hits = 1; /* a bucket is at least one occurrence */
	b->first_seen = b->last_seen = 0;
	if (file_mtime(path, &t))
		b->last_seen = t;
	if (!file_btime(path, &b->first_seen))
		b->first_seen = hits_first;
	/* the bucket's files: nothing in it is older than its first hit */
	for (const char *const *f = (const char *const[]){ "input", "prog.s", "hits", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", b->dir, *f);
		if (!file_mtime(path, &t))
			continue;
		if (!b->first_seen || t < b->first_seen)
			b->first_seen = t;
		if (t > b->last_seen)
			b->last_seen = t;
	}
	return true;
}

void bucket_target(const char *dir, struct target_id *id)
{
	char path[1200], line[1200], copy[1100];
	const char *sig;
	struct cf_err err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/target", dir);
	if (access(path, R_OK) == 0 && target_id_read(path, id, &err) == 0 && id->kind[0])
		return;
	memset(id, 0, sizeof(*id));
	snprintf(id->kind, sizeof(id->kind), "model");
	snprintf(id->arch, sizeof(id->arch), "arm64");
	snprintf(copy, sizeof(copy), "%s", dir);
	sig = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	if (strncmp(sig, "KERNEL-", 7) && strncmp(sig, "VERIFIER", 8) && strncmp(sig, "CRASH-kernel", 12) &&
	    strncmp(sig, "REPORT-", 7) &&
	    strncmp(sig, "TIMEOUT-kernel", 14) && strncmp(sig, "VM-", 3))
		return;
	snprintf(id->kind, sizeof(id->kind), "%s", strncmp(sig, "VM-", 3) ? "vm" : "vm,model");
	snprintf(path, sizeof(path), "%s/report.txt", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *q;

		if (!strstr(line, " run --target vm"))
			continue;
		if ((q = strstr(line, "--arch ")))
			sscanf(q + 7, "%15s", id->arch);
		if ((q = strstr(line, "--kernel ")))
			sscanf(q + 9, "%511s", id->kernel);
		break;
	}
	fclose(f);
}

int triage_scan(const char *dir, struct triage_bucket **out, struct cf_err *err)
{
	DIR *d = opendir(dir);
	struct triage_bucket *v = NULL;
	struct dirent *e;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d) {
		cf_err_set(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* ., .., .lock, .tmp-* */
		if (n == cap) {
			struct triage_bucket *nv = realloc(v, sizeof(*v) * (size_t)(cap = cap ? 2 * cap : 32));

			if (!nv) {
				free(v);
				closedir(d);
				cf_err_set(err, "out of memory");
				return -1;
			}
			v = nv;
		}
		if (read_bucket(dir, e->d_name, &v[n]))
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), bucket_cmp);
	*out = v;
	return n;
}
