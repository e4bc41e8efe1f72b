/* SPDX-License-Identifier: MIT */
/* lib/file: one writer per file, temp files of interrupted writes, symbolic
 * links followed to their target, output staged around a commit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "test_helper.h"
#include "tests.h"

/* A fresh directory under /tmp for one test (its path in dir). */
static void
scratch(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/rkmp-test-file-XXXXXX");
	if (mkdtemp(dir) == NULL)
		dir[0] = '\0';
}

static void
scrub(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		(void)0;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(file_lock_one_writer)
{
	char dir[64], path[128], holder[160];
	int fd1 = -1, fd2 = -1;

	scratch(dir, sizeof(dir));
	ASSERT_TRUE(dir[0] != '\0');
	snprintf(path, sizeof(path), "%s/a.json", dir);
	ASSERT_INT_EQ(rkmp_file_lock(path, "rkmp-test", 0, &fd1), 0);
	/* a second open file description is refused at once, naming the holder */
	ASSERT_INT_EQ(rkmp_file_lock(path, "other", 0, &fd2), RKMP_E_STATE);
	ASSERT_INT_EQ(fd2, -1);
	snprintf(holder, sizeof(holder), "locked by rkmp-test pid %ld since ", (long)getpid());
	ASSERT_STR_CONTAINS(rkmp_err_detail(), holder);
	/* ... or after waiting a little */
	ASSERT_INT_EQ(rkmp_file_lock(path, "other", 0.1, &fd2), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "still locked by rkmp-test");
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "after 0.1 s");
	rkmp_file_unlock(fd1);
	ASSERT_INT_EQ(rkmp_file_lock(path, "other", 0, &fd2), 0);
	rkmp_file_unlock(fd2);
	scrub(dir);
}

TEST(file_sweep_only_temp_files)
{
	static const struct { const char *name; int gone; } t[] = {
		{ ".a.json.Ab12Cd", 1 },	/* mkstemp's six characters */
		{ ".a.json.zzzzzz", 1 },
		{ ".a.json.Ab12C", 0 },		/* five */
		{ ".a.json.Ab12Cde", 0 },	/* seven */
		{ ".b.json.Ab12Cd", 0 },	/* another file's */
		{ "a.json.lock", 0 },
		{ "a.json", 0 },
	};
	char dir[64], path[128], p[160];
	struct stat st;

	scratch(dir, sizeof(dir));
	ASSERT_TRUE(dir[0] != '\0');
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, t[i].name);
		put(p, "{}");
	}
	snprintf(path, sizeof(path), "%s/a.json", dir);
	ASSERT_INT_EQ(rkmp_file_sweep(path), 2);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, t[i].name);
		ASSERT_INT_EQ(stat(p, &st) == -1, t[i].gone);
	}
	ASSERT_INT_EQ(rkmp_file_sweep(path), 0);
	scrub(dir);
}

TEST(file_resolve_and_replace_through_links)
{
	char dir[64], link[128], link2[128], target[128], loop[128], *r = NULL;
	struct stat st;

	scratch(dir, sizeof(dir));
	ASSERT_TRUE(dir[0] != '\0');
	snprintf(target, sizeof(target), "%s/t.json", dir);
	snprintf(link, sizeof(link), "%s/l.json", dir);
	snprintf(link2, sizeof(link2), "%s/l2.json", dir);
	snprintf(loop, sizeof(loop), "%s/loop.json", dir);
	/* no link: the path itself; a relative link to a file still to be made */
	ASSERT_INT_EQ(rkmp_file_resolve(target, &r), 0);
	ASSERT_STR_EQ(r, target);
	free(r);
	ASSERT_INT_EQ(symlink("t.json", link), 0);
	ASSERT_INT_EQ(symlink(link, link2), 0);	/* absolute, to a link */
	ASSERT_INT_EQ(rkmp_file_resolve(link2, &r), 0);
	ASSERT_STR_EQ(r, target);
	free(r);
	ASSERT_INT_EQ(rkmp_file_replace(link2, "{}", 2), 0);
	ASSERT_INT_EQ(lstat(link2, &st), 0);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_INT_EQ(lstat(link, &st), 0);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_INT_EQ(stat(target, &st), 0);
	ASSERT_INT_EQ(st.st_size, 2);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	ASSERT_INT_EQ(symlink("loop.json", loop), 0);
	ASSERT_INT_EQ(rkmp_file_resolve(loop, &r), RKMP_E_SYSTEM);
	ASSERT_TRUE(r == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "symbolic link");
	scrub(dir);
}

TEST(file_stage_publish_discard)
{
	char dir[64], out[128], *tmp = NULL;
	uint8_t *p = NULL;
	size_t len = 0;
	struct stat st;

	scratch(dir, sizeof(dir));
	ASSERT_TRUE(dir[0] != '\0');
	snprintf(out, sizeof(out), "%s/1.bin", dir);
	/* staged, then discarded: nothing at out, no temp file left */
	ASSERT_INT_EQ(rkmp_file_stage(out, (const uint8_t *)"abc", 3, &tmp), 0);
	ASSERT_TRUE(tmp != NULL);
	ASSERT_INT_EQ(stat(out, &st), -1);
	rkmp_file_discard(tmp);
	free(tmp);
	ASSERT_INT_EQ(rkmp_file_sweep(out), 0);
	ASSERT_INT_EQ(stat(out, &st), -1);
	/* staged, then published */
	ASSERT_INT_EQ(rkmp_file_stage(out, (const uint8_t *)"abc", 3, &tmp), 0);
	ASSERT_INT_EQ(rkmp_file_publish(out, tmp, (const uint8_t *)"abc", 3), 0);
	free(tmp);
	ASSERT_INT_EQ(rkmp_file_read(out, 16, &p, &len), 0);
	ASSERT_INT_EQ(len, 3);
	ASSERT_MEM_EQ(p, "abc", 3);
	free(p);
	/* a FIFO is not staged: written when published */
	tmp = (char *)1;
	ASSERT_INT_EQ(rkmp_file_stage("-", (const uint8_t *)"x", 1, &tmp), 0);
	ASSERT_TRUE(tmp == NULL);
	snprintf(out, sizeof(out), "%s/fifo", dir);
	ASSERT_INT_EQ(mkfifo(out, 0600), 0);
	ASSERT_INT_EQ(rkmp_file_stage(out, (const uint8_t *)"x", 1, &tmp), 0);
	ASSERT_TRUE(tmp == NULL);
	scrub(dir);
}
