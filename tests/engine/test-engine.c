/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's extraction jobs: a decode pool feeding one worker, the
 * cache, skipped files, progress on the main context, cancellation. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#endif

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "tz-engine.h"
#include "tz-error.h"

/* An extractor that counts what reaches it, by content, so the test sees
 * independently of the engine's own counters how often each image went
 * through the "network". Features: the mean of each channel and the first
 * pixel, enough to tell the test images apart. */
#define TEST_TYPE_COUNTING_EXTRACTOR (test_counting_extractor_get_type ())
G_DECLARE_FINAL_TYPE (TestCountingExtractor, test_counting_extractor, TEST, COUNTING_EXTRACTOR, GObject)

struct _TestCountingExtractor
{
  GObject     parent_instance;
  GMutex      mutex;
  GHashTable *seen;        /* first-pixel-and-size string -> count */
  guint       n_images;
  guint       n_prepared;
  guint       batch_size;
  guint       delay_ms;    /* per batch, to make cancellation observable */
  GThread    *thread;      /* the thread that called extract */
};

static void test_counting_extractor_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestCountingExtractor, test_counting_extractor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR,
                                                      test_counting_extractor_iface_init))

static guint
counting_get_dim (TzExtractor *self)
{
  return 4;
}

static const char *
counting_get_recipe (TzExtractor *self)
{
  return "counting test extractor";
}

static guint
counting_get_batch_size (TzExtractor *self)
{
  return TEST_COUNTING_EXTRACTOR (self)->batch_size;
}

static gboolean
counting_prepare (TzExtractor   *extractor,
                  GCancellable  *cancellable,
                  GError       **error)
{
  TEST_COUNTING_EXTRACTOR (extractor)->n_prepared++;
  return TRUE;
}

static gboolean
counting_extract (TzExtractor          *extractor,
                  const TzImage *const *images,
                  guint                 n_images,
                  float                *features,
                  GCancellable         *cancellable,
                  GError              **error)
{
  TestCountingExtractor *self = TEST_COUNTING_EXTRACTOR (extractor);

  if (self->delay_ms > 0)
    g_usleep (self->delay_ms * 1000);
  g_mutex_lock (&self->mutex);
  self->thread = g_thread_self ();
  for (guint i = 0; i < n_images; i++)
    {
      const TzImage *image = images[i];
      double sum[3] = { 0, 0, 0 };
      g_autofree char *id = g_strdup_printf ("%ux%u:%u,%u,%u", image->width, image->height,
                                             image->pixels[0], image->pixels[1], image->pixels[2]);

      for (guint y = 0; y < image->height; y++)
        for (guint x = 0; x < image->width; x++)
          for (guint c = 0; c < 3; c++)
            sum[c] += image->pixels[y * image->rowstride + x * image->n_channels
                                    + (image->n_channels == 1 ? 0 : c)];
      for (guint c = 0; c < 3; c++)
        features[i * 4 + c] = (float) (sum[c] / (image->width * image->height));
      features[i * 4 + 3] = image->pixels[0];
      g_hash_table_insert (self->seen, g_strdup (id),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->seen, id)) + 1));
      self->n_images++;
    }
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

static void
test_counting_extractor_iface_init (TzExtractorInterface *iface)
{
  iface->get_dim = counting_get_dim;
  iface->get_recipe = counting_get_recipe;
  iface->get_batch_size = counting_get_batch_size;
  iface->prepare = counting_prepare;
  iface->extract = counting_extract;
}

static void
test_counting_extractor_finalize (GObject *object)
{
  TestCountingExtractor *self = TEST_COUNTING_EXTRACTOR (object);

  g_hash_table_unref (self->seen);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (test_counting_extractor_parent_class)->finalize (object);
}

static void
test_counting_extractor_class_init (TestCountingExtractorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_counting_extractor_finalize;
}

static void
test_counting_extractor_init (TestCountingExtractor *self)
{
  g_mutex_init (&self->mutex);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->batch_size = 4;
}

/* Test data ---------------------------------------------------------------- */

typedef struct
{
  char      *dir;
  GPtrArray *paths;      /* what the job is asked for */
  guint      n_distinct; /* distinct decodable images among them */
  guint      n_repeats;  /* byte-identical copies of earlier files */
  guint      n_bad;      /* files that must be skipped */
} Fixture;

/* Image i: 12 x 10, a colour depending on i, so every i differs. */
static void
write_png (const char *path,
           guint       i)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 12, 10);
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, ((i * 37) % 256) << 24 | ((i * 11) % 256) << 16 | ((255 - i) % 256) << 8);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

/* Appends a PNG chunk: length, type, body, CRC. */
static void
append_png_chunk (GByteArray   *file,
                  const char   *type,
                  const guint8 *body,
                  guint32       length)
{
  guint32 be_length = GUINT32_TO_BE (length);
  guint32 crc = (guint32) crc32 (0, (const guint8 *) type, 4);

  crc = GUINT32_TO_BE ((guint32) crc32 (crc, body, length));
  g_byte_array_append (file, (const guint8 *) &be_length, 4);
  g_byte_array_append (file, (const guint8 *) type, 4);
  g_byte_array_append (file, body, length);
  g_byte_array_append (file, (const guint8 *) &crc, 4);
}

/* A PNG whose header claims 20000 x 20000 pixels, in a few bytes: it must
 * be refused on its header, before anything that size is allocated. */
static void
write_huge_png (const char *path)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 header[13] = { 0 };
  guint8 zeros[64] = { 0 };
  guint8 compressed[128];
  uLongf compressed_length = sizeof compressed;
  guint32 side = GUINT32_TO_BE (20000);
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  memcpy (header, &side, 4);
  memcpy (header + 4, &side, 4);
  header[8] = 8;  /* bits per sample */
  header[9] = 2;  /* RGB */
  g_assert_cmpint (compress (compressed, &compressed_length, zeros, sizeof zeros), ==, Z_OK);
  g_byte_array_append (file, signature, sizeof signature);
  append_png_chunk (file, "IHDR", header, sizeof header);
  append_png_chunk (file, "IDAT", compressed, (guint32) compressed_length);
  append_png_chunk (file, "IEND", NULL, 0);
  g_file_set_contents (path, (const char *) file->data, file->len, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n = GPOINTER_TO_UINT (data);

  fixture->dir = g_dir_make_tmp ("tsuzuki-engine-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      char *path = g_strdup_printf ("%s/image-%03u.png", fixture->dir, i);

      write_png (path, i);
      g_ptr_array_add (fixture->paths, path);
    }
  fixture->n_distinct = n;

  /* Copies under other names: the same content. */
  for (guint i = 0; i < 3 && i < n; i++)
    {
      g_autofree char *contents = NULL;
      gsize length;
      char *copy = g_strdup_printf ("%s/copy-%u.png", fixture->dir, i);

      g_file_get_contents (g_ptr_array_index (fixture->paths, i), &contents, &length, &error);
      g_file_set_contents (copy, contents, (gssize) length, &error);
      g_assert_no_error (error);
      g_ptr_array_add (fixture->paths, copy);
      fixture->n_repeats++;
    }

  {
    char *truncated = g_strdup_printf ("%s/truncated.png", fixture->dir);
    char *text = g_strdup_printf ("%s/notes.png", fixture->dir);
    char *missing = g_strdup_printf ("%s/missing.png", fixture->dir);
    char *empty = g_strdup_printf ("%s/empty.png", fixture->dir);
    char *huge = g_strdup_printf ("%s/huge.png", fixture->dir);
    g_autofree char *contents = NULL;
    gsize length;

    g_file_get_contents (g_ptr_array_index (fixture->paths, 0), &contents, &length, &error);
    g_file_set_contents (truncated, contents, (gssize) (length / 2), &error);
    g_file_set_contents (text, "these are not pixels\n", -1, &error);
    g_assert_no_error (error);
    g_ptr_array_add (fixture->paths, truncated);
    g_ptr_array_add (fixture->paths, text);
    g_file_set_contents (empty, "", 0, &error);
    g_assert_no_error (error);
    write_huge_png (huge);
    g_ptr_array_add (fixture->paths, missing);
    g_ptr_array_add (fixture->paths, empty);
    g_ptr_array_add (fixture->paths, huge);
    fixture->n_bad = 5;
  }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_ptr_array_unref (fixture->paths);
}

/* Runs the main loop until the job ends. */
typedef struct
{
  GAsyncResult *result;
  GArray       *n_done_seen;
  gboolean      saw_busy;
  GThread      *notify_thread;
  GCancellable *cancel_after_first;
} Waiter;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
on_progress (TzEngine   *engine,
             GParamSpec *pspec,
             Waiter     *waiter)
{
  guint n_done = tz_engine_get_n_done (engine);

  waiter->notify_thread = g_thread_self ();
  waiter->saw_busy |= tz_engine_get_busy (engine);
  g_array_append_val (waiter->n_done_seen, n_done);
  if (waiter->cancel_after_first != NULL && n_done > 0)
    g_cancellable_cancel (waiter->cancel_after_first);
}

static TzExtraction *
run_files (TzEngine      *engine,
           GPtrArray     *paths,
           GCancellable  *cancellable,
           Waiter        *waiter,
           GError       **error)
{
  gulong handler = g_signal_connect (engine, "notify::n-done", G_CALLBACK (on_progress), waiter);
  TzExtraction *extraction;

  waiter->n_done_seen = g_array_new (FALSE, FALSE, sizeof (guint));
  tz_engine_extract_files_async (engine, (const char *const *) paths->pdata, paths->len,
                                 cancellable, on_done, waiter);
  while (waiter->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* Let the last progress notification arrive. */
  while (tz_engine_get_busy (engine) || g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_signal_handler_disconnect (engine, handler);
  extraction = tz_engine_extract_files_finish (engine, waiter->result, error);
  g_clear_object (&waiter->result);
  return extraction;
}

static void
test_extract_files (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestCountingExtractor) extractor = g_object_new (TEST_TYPE_COUNTING_EXTRACTOR, NULL);
  g_autoptr(TzEngine) engine = tz_engine_new (TZ_EXTRACTOR (extractor), NULL, 3);
  g_autoptr(TzExtraction) first = NULL;
  g_autoptr(TzExtraction) second = NULL;
  g_autoptr(GError) error = NULL;
  Waiter waiter = { 0 };
  guint n = fixture->paths->len;

  first = run_files (engine, fixture->paths, NULL, &waiter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->n_inputs, ==, n);
  g_assert_cmpuint (first->dim, ==, 4);

  /* Every distinct image went through the extractor exactly once, in the
   * worker thread, never in this one. */
  g_assert_cmpuint (extractor->n_images, ==, fixture->n_distinct);
  g_assert_cmpuint (g_hash_table_size (extractor->seen), ==, fixture->n_distinct);
  {
    GHashTableIter iter;
    gpointer count;

    g_hash_table_iter_init (&iter, extractor->seen);
    while (g_hash_table_iter_next (&iter, NULL, &count))
      g_assert_cmpuint (GPOINTER_TO_UINT (count), ==, 1);
  }
  g_assert_true (extractor->thread != g_thread_self ());
  g_assert_cmpuint (extractor->n_prepared, ==, 1);
  g_assert_cmpuint (first->n_extracted, ==, fixture->n_distinct);
  /* The copies come after their originals were stored: not even decoded. */
  g_assert_cmpuint (first->n_decoded, ==, fixture->n_distinct);
  g_assert_cmpuint (first->n_cache_hits, ==, fixture->n_repeats);

  /* Features are where they belong: image i is filled with its colour. */
  for (guint i = 0; i < fixture->n_distinct; i++)
    {
      const float *row = first->features + i * 4;

      g_assert_true (first->ok[i]);
      g_assert_cmpfloat (row[0], ==, (float) ((i * 37) % 256));
      g_assert_cmpfloat (row[1], ==, (float) ((i * 11) % 256));
      g_assert_cmpfloat (row[2], ==, (float) ((255 - i) % 256));
    }
  for (guint k = 0; k < fixture->n_repeats; k++)
    {
      guint i = fixture->n_distinct + k;

      g_assert_true (first->ok[i]);
      g_assert_cmpmem (first->features + i * 4, 16, first->features + k * 4, 16);
    }

  /* Bad files are skipped, each with its name and reason; the rest went on. */
  g_assert_cmpuint (first->skipped->len, ==, fixture->n_bad);
  for (guint k = 0; k < fixture->n_bad; k++)
    g_assert_false (first->ok[n - fixture->n_bad + k]);
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 0), "truncated.png"));
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 1), "notes.png"));
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 2), "missing.png"));
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 3), "empty.png"));
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 4), "huge.png"));
  g_test_message ("%s", (const char *) g_ptr_array_index (first->skipped, 4));
  g_assert_nonnull (strstr (g_ptr_array_index (first->skipped, 4), "beyond the limit"));

  /* Progress reached the main context, rose monotonically to the end. */
  g_assert_true (waiter.saw_busy);
  g_assert_true (waiter.notify_thread == g_thread_self ());
  g_assert_cmpuint (waiter.n_done_seen->len, >, 0);
  for (guint k = 1; k < waiter.n_done_seen->len; k++)
    g_assert_cmpuint (g_array_index (waiter.n_done_seen, guint, k), >=,
                      g_array_index (waiter.n_done_seen, guint, k - 1));
  g_assert_cmpuint (tz_engine_get_n_done (engine), ==, n);
  g_assert_false (tz_engine_get_busy (engine));
  {
    g_autofree char *expected = g_strdup_printf ("%u of %u images", n, n);

    g_assert_cmpstr (tz_engine_get_message (engine), ==, expected);
  }
  g_array_unref (waiter.n_done_seen);

  /* A second run decodes and extracts nothing: the cache has it all. */
  memset (&waiter, 0, sizeof waiter);
  second = run_files (engine, fixture->paths, NULL, &waiter, &error);
  g_assert_no_error (error);
  g_array_unref (waiter.n_done_seen);
  g_assert_cmpuint (extractor->n_images, ==, fixture->n_distinct);
  g_assert_cmpuint (second->n_extracted, ==, 0);
  g_assert_cmpuint (second->n_decoded, ==, 0);
  g_assert_cmpuint (second->n_cache_hits, ==, n - fixture->n_bad);
  g_assert_cmpmem (first->features, n * 16, second->features, n * 16);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TestCountingExtractor) extractor = g_object_new (TEST_TYPE_COUNTING_EXTRACTOR, NULL);
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(TzExtraction) after = NULL;
  g_autoptr(GError) error = NULL;
  Waiter waiter = { 0 };
  guint extracted_before_cancel;

  extractor->delay_ms = 40;
  engine = tz_engine_new (TZ_EXTRACTOR (extractor), NULL, 2);

  waiter.cancel_after_first = cancellable;
  extraction = run_files (engine, fixture->paths, cancellable, &waiter, &error);
  g_array_unref (waiter.n_done_seen);
  g_assert_null (extraction);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* It stopped within a batch or two of the cancellation, not at the end. */
  extracted_before_cancel = extractor->n_images;
  g_assert_cmpuint (extracted_before_cancel, <, fixture->n_distinct);
  {
    g_autoptr(TzFeatureCache) cache = tz_engine_dup_cache (engine);

    g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, extracted_before_cancel);
  }

  /* The next job works and reuses what was done. */
  extractor->delay_ms = 0;
  memset (&waiter, 0, sizeof waiter);
  after = run_files (engine, fixture->paths, NULL, &waiter, &error);
  g_array_unref (waiter.n_done_seen);
  g_assert_no_error (error);
  g_assert_cmpuint (extractor->n_images, ==, fixture->n_distinct);
  g_assert_cmpuint (after->n_extracted, ==, fixture->n_distinct - extracted_before_cancel);
}

static void
test_extract_images (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (2, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  /* 4 x 4 grey with 2 x 2 blocks 0, 40, 80, 120: area averaging to 2 x 2
   * gives the block values exactly. */
  guint8 pixels[16];

  for (guint y = 0; y < 4; y++)
    for (guint x = 0; x < 4; x++)
      pixels[y * 4 + x] = (guint8) (40 * ((y / 2) * 2 + x / 2));
  g_ptr_array_add (images, tz_image_new_from_data (4, 4, 1, 4, pixels, &error));
  g_ptr_array_add (images, tz_image_new_from_data (4, 4, 1, 4, pixels, &error));
  g_assert_no_error (error);

  tz_engine_extract_images_async (engine, images, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  extraction = tz_engine_extract_images_finish (engine, result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (extraction->dim, ==, 4);
  for (guint k = 0; k < 4; k++)
    g_assert_cmpfloat_with_epsilon (extraction->features[k], 40.0 * k / 255.0, 1e-6);
  g_assert_cmpmem (extraction->features, 16, extraction->features + 4, 16);
  g_assert_cmpuint (extraction->n_extracted, ==, 1);
  g_assert_cmpuint (extraction->n_cache_hits, ==, 1);
}

/* The nice value of the threads called @name, -100 when there is none;
 * from /proc/self/task/TID/stat (field 19, after the parenthesised name). */
static int
thread_nice (const char *name)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  if (dir == NULL)
    return -100;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *comm = NULL, *stat = NULL;
      g_auto(GStrv) fields = NULL;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_str_equal (g_strstrip (comm), name) ||
          !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* Fields after ") ": state is field 3, nice field 19. */
      fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
      return atoi (fields[19 - 3]);
    }
  return -100;
}

/* In the background the worker yields to the program's main thread. */
static void
test_background (void)
{
#ifdef __linux__
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (2, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;
  Waiter waiter = { 0 };
  /* This thread's (Linux: PRIO_PROCESS of 0 is the calling thread). */
  int base = getpriority (PRIO_PROCESS, 0);

  g_ptr_array_add (paths, (gpointer) "/nonexistent/a.png");
  tz_engine_set_background (engine);
  extraction = run_files (engine, paths, NULL, &waiter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (extraction->skipped->len, ==, 1);
  g_array_unref (waiter.n_done_seen);
  g_assert_cmpint (thread_nice ("tsuzuki-engine"), ==, MIN (base + 5, 19));
  /* The caller's thread keeps its own. */
  g_assert_cmpint (getpriority (PRIO_PROCESS, 0), ==, base);
#else
  g_test_skip ("thread priorities are Linux's");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/engine/extract-files", Fixture, GUINT_TO_POINTER (23),
              fixture_set_up, test_extract_files, fixture_tear_down);
  g_test_add ("/engine/cancel", Fixture, GUINT_TO_POINTER (40),
              fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add_func ("/engine/extract-images", test_extract_images);
  g_test_add_func ("/engine/background", test_background);

  return g_test_run ();
}
