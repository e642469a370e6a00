/* harness/repro/artifact.c: mismatch artifacts on disk, written so that a
 * process killed at any moment (fuzz/run's Ctrl-C, --time, a crash of the
 * fuzzer) never loses one: everything is built in a temporary directory
 * next to the bucket and moved into place with one rename (fuzz/loop/loop.h). */
#define _GNU_SOURCE
#include "harness/repro/repro.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_new_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[1200];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	rc = write_all(fd, buf, len);
	if (close(fd))
		rc = -1;
	return rc;
}

/* One line, one write(2) with O_APPEND: lines of concurrent writers never
 * interleave (a line is far below PIPE_BUF). */
static int append_hit(const char *bucket, const char *line)
{
	char path[1200], buf[1024];
	int fd, n, rc;

	snprintf(path, sizeof(path), "%s/hits", bucket);
	n = snprintf(buf, sizeof(buf), "%s\n", line ? line : "");
	if (n >= (int)sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	rc = write_all(fd, buf, (size_t)n);
	if (close(fd))
		rc = -1;
	return rc;
}

static int mkdir_p(const char *dir)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(path, 0777) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(path, 0777) && errno != EEXIST)
		return -1;
	return 0;
}

/* Remove a bucket directory we own (flat: files only). */
static void remove_flat_dir(const char *dir)
{
	char path[1200];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* input, prog.s, report.txt (console.txt, target) into a fresh temporary
 * directory. */
static int build_tmp(const char *dir, const struct artifact *a, char *tmp, size_t tmplen)
{
	snprintf(tmp, tmplen, "%s/.tmp-%s-XXXXXX", dir, a->signature);
	if (!mkdtemp(tmp))
		return -1;
	if (write_new_file(tmp, "input", a->input, a->input_len) ||
	    write_new_file(tmp, "prog.s", a->prog_text ? a->prog_text : "", a->prog_text ? strlen(a->prog_text) : 0) ||
	    write_new_file(tmp, "report.txt", a->report ? a->report : "", a->report ? strlen(a->report) : 0) ||
	    (a->console && write_new_file(tmp, "console.txt", a->console, strlen(a->console))) ||
	    (a->target && write_new_file(tmp, "target", a->target, strlen(a->target)))) {
		remove_flat_dir(tmp);
		return -1;
	}
	return 0;
}

/* Without RENAME_EXCHANGE (an old kernel or a file system without it):
 * replace file by file. Each file is replaced atomically; for a moment
 * input and prog.s may come from different occurrences of the same bucket,
 * but nothing is ever missing. */
static int replace_files(const char *tmp, const char *bucket)
{
	static const char *const names[] = { "input", "prog.s", "report.txt", "console.txt", "target" };
	char from[1200], to[1200];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", tmp, names[i]);
		snprintf(to, sizeof(to), "%s/%s", bucket, names[i]);
		if (!rename(from, to))
			continue;
		/* console.txt and target are optional: an old one does not
		 * belong to the new input */
		if (errno == ENOENT && (!strcmp(names[i], "console.txt") || !strcmp(names[i], "target"))) {
			unlink(to);
			continue;
		}
		return -1;
	}
	return 0;
}

static int replace_bucket(const char *dir, const struct artifact *a, const char *bucket, struct cf_err *err)
{
	char tmp[1024], old_hits[1100], new_hits[1100];

	if (build_tmp(dir, a, tmp, sizeof(tmp))) {
		cf_err_set(err, "%s: cannot build the artifact: %s", dir, strerror(errno));
		return -1;
	}
	/* The same inode under both names: a hit appended by another process
	 * through either path lands in the file that stays. */
	snprintf(old_hits, sizeof(old_hits), "%s/hits", bucket);
	snprintf(new_hits, sizeof(new_hits), "%s/hits", tmp);
	if (link(old_hits, new_hits) && errno != ENOENT) {
		cf_err_set(err, "%s: %s", old_hits, strerror(errno));
		remove_flat_dir(tmp);
		return -1;
	}
	if (append_hit(tmp, a->hit_line)) {
		cf_err_set(err, "%s: %s", new_hits, strerror(errno));
		remove_flat_dir(tmp);
		return -1;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, bucket, RENAME_EXCHANGE) == 0) {
		remove_flat_dir(tmp); /* now the old bucket */
		return ARTIFACT_REPLACED;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		cf_err_set(err, "%s: %s", bucket, strerror(errno));
		remove_flat_dir(tmp);
		return -1;
	}
	if (replace_files(tmp, bucket)) {
		cf_err_set(err, "%s: %s", bucket, strerror(errno));
		remove_flat_dir(tmp);
		return -1;
	}
	remove_flat_dir(tmp);
	return ARTIFACT_REPLACED;
}

int artifact_write(const char *dir, const struct artifact *a, char *path, size_t pathlen, struct cf_err *err)
{
	char bucket[1024], input[1100], tmp[1024], lock[1024];
	struct stat st;
	int lockfd, rc;

	if (!a->signature[0] || strchr(a->signature, '/') || a->signature[0] == '.') {
		cf_err_set(err, "bad artifact signature \"%s\"", a->signature);
		return -1;
	}
	if (mkdir_p(dir)) {
		cf_err_set(err, "%s: cannot create the artifacts directory: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(bucket, sizeof(bucket), "%s/%s", dir, a->signature);
	snprintf(path, pathlen, "%s", bucket);
	snprintf(lock, sizeof(lock), "%s/.lock", dir);
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (lockfd < 0 || flock(lockfd, LOCK_EX)) {
		cf_err_set(err, "%s: %s", lock, strerror(errno));
		if (lockfd >= 0)
			close(lockfd);
		return -1;
	}

	snprintf(input, sizeof(input), "%s/input", bucket);
	if (stat(input, &st) == 0) {
		if ((off_t)a->input_len >= st.st_size) {
			rc = append_hit(bucket, a->hit_line) ? -1 : ARTIFACT_KEPT;
			if (rc < 0)
				cf_err_set(err, "%s/hits: %s", bucket, strerror(errno));
		} else {
			rc = replace_bucket(dir, a, bucket, err);
		}
		close(lockfd); /* releases the lock */
		return rc;
	}

	if (build_tmp(dir, a, tmp, sizeof(tmp)) || append_hit(tmp, a->hit_line)) {
		cf_err_set(err, "%s: cannot build the artifact: %s", dir, strerror(errno));
		close(lockfd);
		return -1;
	}
	if (rename(tmp, bucket) == 0) {
		rc = ARTIFACT_CREATED;
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		/* A bucket without an input (made by hand?): ours replaces it. */
		remove_flat_dir(tmp);
		rc = replace_bucket(dir, a, bucket, err);
	} else {
		cf_err_set(err, "%s: %s", bucket, strerror(errno));
		remove_flat_dir(tmp);
		rc = -1;
	}
	close(lockfd);
	return rc;
}
