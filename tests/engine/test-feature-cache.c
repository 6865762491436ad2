/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feature cache: lookups, persistence across runs, damage, a full disk. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tz-error.h"
#include "tz-feature-cache.h"

#define DIM 5

static void
make_key (guint   i,
          guint8 *key)
{
  tz_feature_cache_key_for_data (&i, sizeof i, key);
}

static void
make_features (guint  i,
               float *out)
{
  for (guint j = 0; j < DIM; j++)
    out[j] = (float) i + 0.25f * (float) j;
}

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tsuzuki-cache-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static void
test_key_is_sha256 (void)
{
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  /* SHA-256("abc"), FIPS 180-2 appendix B.1. */
  static const guint8 expected[] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
  };

  tz_feature_cache_key_for_data ("abc", 3, key);
  g_assert_cmpmem (key, sizeof key, expected, sizeof expected);
}

static void
test_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("b0/penultimate/224", DIM, NULL, &error);
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  float in[DIM], out[DIM], other[DIM];

  g_assert_no_error (error);
  g_assert_null (tz_feature_cache_get_path (cache));
  make_key (1, key);
  make_features (1, in);
  g_assert_false (tz_feature_cache_lookup (cache, key, out));
  g_assert_true (tz_feature_cache_insert (cache, key, in, &error));
  g_assert_true (tz_feature_cache_lookup (cache, key, out));
  g_assert_cmpmem (in, sizeof in, out, sizeof out);

  /* The first value stays: same content, same features. */
  make_features (7, other);
  g_assert_true (tz_feature_cache_insert (cache, key, other, &error));
  g_assert_true (tz_feature_cache_lookup (cache, key, out));
  g_assert_cmpmem (in, sizeof in, out, sizeof out);

  g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 1);
  g_assert_cmpuint (tz_feature_cache_get_n_hits (cache), ==, 2);
  g_assert_cmpuint (tz_feature_cache_get_n_misses (cache), ==, 1);
}

static void
test_persistence (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  float in[DIM], out[DIM];

  {
    g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < 100; i++)
      {
        make_key (i, key);
        make_features (i, in);
        g_assert_true (tz_feature_cache_insert (cache, key, in, &error));
      }
    path = g_strdup (tz_feature_cache_get_path (cache));
  }

  /* A new run sees every entry. */
  {
    g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (tz_feature_cache_get_path (cache), ==, path);
    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 100);
    for (guint i = 0; i < 100; i++)
      {
        make_key (i, key);
        make_features (i, in);
        g_assert_true (tz_feature_cache_lookup (cache, key, out));
        g_assert_cmpmem (in, sizeof in, out, sizeof out);
      }
  }

  /* Another recipe does not see them. */
  {
    g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("recipe B", DIM, dir, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (tz_feature_cache_get_path (cache), !=, path);
    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 0);
  }

  /* A crash mid-record: the partial record is dropped, appends line up. */
  {
    g_autofree char *contents = NULL;
    gsize length;

    g_file_get_contents (path, &contents, &length, &error);
    g_assert_no_error (error);
    g_file_set_contents (path, contents, (gssize) (length - 7), &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr(TzFeatureCache) cache = NULL;

    g_test_expect_message ("tsuzuki-engine", G_LOG_LEVEL_MESSAGE, "*partial record*");
    cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);
    g_test_assert_expected_messages ();
    g_assert_no_error (error);
    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 99);
    make_key (1000, key);
    make_features (1000, in);
    g_assert_true (tz_feature_cache_insert (cache, key, in, &error));
  }
  {
    g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 100);
    g_assert_true (tz_feature_cache_lookup (cache, key, out));
    g_assert_cmpmem (in, sizeof in, out, sizeof out);
  }

  remove_tree (dir);
}

static void
test_damage (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path_a = NULL;
  g_autofree char *path_b = NULL;

  {
    g_autoptr(TzFeatureCache) a = tz_feature_cache_new ("recipe A", DIM, dir, &error);
    g_autoptr(TzFeatureCache) b = tz_feature_cache_new ("recipe B", DIM, dir, &error);

    g_assert_no_error (error);
    path_a = g_strdup (tz_feature_cache_get_path (a));
    path_b = g_strdup (tz_feature_cache_get_path (b));
  }

  /* A's file under B's name is refused, never read as B's. */
  g_remove (path_b);
  g_assert_cmpint (rename (path_a, path_b), ==, 0);
  g_assert_null (tz_feature_cache_new ("recipe B", DIM, dir, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path_b));
  g_clear_error (&error);

  /* The same recipe with another dimension. */
  g_assert_cmpint (rename (path_b, path_a), ==, 0);
  g_assert_null (tz_feature_cache_new ("recipe A", DIM + 1, dir, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
  g_clear_error (&error);

  /* Not a cache at all. */
  g_file_set_contents (path_a, "GIF89a, not features", -1, &error);
  g_assert_null (tz_feature_cache_new ("recipe A", DIM, dir, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not a Tsuzuki feature cache"));
  g_clear_error (&error);

  remove_tree (dir);
}

static void
test_full_disk (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  struct rlimit saved, limited;
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  float in[DIM], out[DIM];
  guint i, written = 0;
  gboolean failed = FALSE;

  cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);
  g_assert_no_error (error);

  /* A file size limit makes writes fail with EFBIG, as a full disk makes
   * them fail with ENOSPC. */
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = 4096;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limited), ==, 0);
  for (i = 0; i < 1000 && !failed; i++)
    {
      make_key (i, key);
      make_features (i, in);
      if (tz_feature_cache_insert (cache, key, in, &error))
        written++;
      else
        failed = TRUE;
    }
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);

  g_assert_true (failed);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, tz_feature_cache_get_path (cache)));
  g_clear_error (&error);
  /* Nothing computed is lost for this run... */
  for (guint k = 0; k < i; k++)
    {
      make_key (k, key);
      g_assert_true (tz_feature_cache_lookup (cache, key, out));
    }
  g_clear_pointer (&cache, tz_feature_cache_unref);

  /* ...and the file holds whole records only. */
  cache = tz_feature_cache_new ("recipe A", DIM, dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, written);
  g_clear_pointer (&cache, tz_feature_cache_unref);

  remove_tree (dir);
}

static gpointer
insert_thread (gpointer data)
{
  TzFeatureCache *cache = data;
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  float in[DIM];

  for (guint i = 0; i < 2000; i++)
    {
      make_key (i, key);
      make_features (i, in);
      g_assert_true (tz_feature_cache_insert (cache, key, in, NULL));
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureCache) cache = tz_feature_cache_new ("recipe T", DIM, dir, &error);
  GThread *threads[4];

  g_assert_no_error (error);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("insert", insert_thread, cache);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 2000);
  g_clear_pointer (&cache, tz_feature_cache_unref);

  /* Each key was written once, whole. */
  cache = tz_feature_cache_new ("recipe T", DIM, dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, 2000);
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (tz_feature_cache_get_path (cache), &st), ==, 0);
    g_assert_cmpint (st.st_size, ==, 4 + 12 + strlen ("recipe T") + 2000 * (32 + 4 * DIM));
  }
  g_clear_pointer (&cache, tz_feature_cache_unref);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/feature-cache/key-is-sha256", test_key_is_sha256);
  g_test_add_func ("/feature-cache/memory", test_memory);
  g_test_add_func ("/feature-cache/persistence", test_persistence);
  g_test_add_func ("/feature-cache/damage", test_damage);
  g_test_add_func ("/feature-cache/full-disk", test_full_disk);
  g_test_add_func ("/feature-cache/threads", test_threads);

  return g_test_run ();
}
