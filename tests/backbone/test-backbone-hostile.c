/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tz-backbone.h"
#include "tz-backbone-private.h"
#include "tz-error.h"
#include "tz-torch-checkpoint.h"

#include "backbone-test-util.h"

/* Broken and hostile weight files: each must give a clear error that names
 * the file and the reason, never a crash, and a pickle that asks to run a
 * command must not run it. The small files are committed fixtures (and
 * fuzz seeds) made by make-hostile.py; the test also regenerates them to
 * check that the committed copies are what the script makes. */

static char *workdir;

static char *
fixture (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", "backbone", name, NULL);
}

static void
assert_load_fails (const char *path,
                   GQuark      domain,
                   int         code,
                   const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);

  g_assert_no_error (error);
  g_assert_false (tz_backbone_load_weights (backbone, path, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("“%s” does not say “%s”", error->message, reason);
}

/* Loads @name with the working directory in an empty folder, then checks
 * that the command the pickle asks for did not create its marker. */
static void
assert_forbidden (const char *name,
                  const char *global)
{
  g_autofree char *path = fixture (name);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *marker = g_build_filename (workdir, "tsuzuki-pickle-marker", NULL);

  g_assert_cmpint (chdir (workdir), ==, 0);
  assert_load_fails (path, TZ_ERROR, TZ_ERROR_FORBIDDEN, global);
  g_assert_cmpint (chdir (cwd), ==, 0);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
}

static void
test_os_system (void)
{
  assert_forbidden ("os-system.pt", "“os.system”");
}

static void
test_stack_global_eval (void)
{
  assert_forbidden ("stack-global-eval.pt", "“builtins.eval”");
}

static void
test_nested_forbidden (void)
{
  assert_forbidden ("nested-forbidden.pt", "“subprocess.call”");
}

static void
test_truncated_zip (void)
{
  g_autofree char *path = fixture ("truncated.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, NULL);
}

static void
test_truncated_pickle (void)
{
  g_autofree char *path = fixture ("truncated-pickle.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, "malformed pickle");
}

static void
test_wrong_shape_small (void)
{
  g_autofree char *path = fixture ("wrong-shape-small.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                     "features.0.0.weight ([32, 3, 3, 2] in the file, [32, 3, 3, 3] in the network)");
}

static void
test_wrong_shape_full (void)
{
  g_autofree char *path = g_build_filename (workdir, "wrong-shape-b0.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);

  g_assert_no_error (error);
  g_assert_false (tz_backbone_load_weights (backbone, path, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  /* Exactly one complaint: nothing missing, nothing unexpected. */
  g_assert_nonnull (strstr (error->message, "wrong shape: features.0.0.weight ([32, 3, 3, 2] in the file"));
  g_assert_null (strstr (error->message, "missing"));
  g_assert_null (strstr (error->message, "unexpected"));
}

static void
test_outside_storage (void)
{
  g_autofree char *path = fixture ("outside-storage.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, "“features.0.0.weight” reaches outside its storage");
}

static void
test_short_storage (void)
{
  g_autofree char *path = fixture ("short-storage.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, "archive/data/0");
}

static void
test_missing_storage (void)
{
  g_autofree char *path = fixture ("missing-storage.pt");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, "missing");
}

static void
test_small_valid_is_incomplete (void)
{
  g_autofree char *path = fixture ("small-valid.pt");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = tz_torch_checkpoint_read (path, &error);
  TzTensorRecord *record;

  /* The checkpoint itself reads (torch.load reads it too) ... */
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  record = g_ptr_array_index (records, 0);
  g_assert_cmpstr (record->name, ==, "features.0.0.weight");
  g_assert_cmpuint (record->ndim, ==, 4);
  g_assert_cmpint (record->shape[0], ==, 32);
  g_assert_cmpint (record->strides[0], ==, 27);
  g_assert_cmpint (record->dtype, ==, TZ_DTYPE_F32);

  /* ... but a network needs all its tensors. */
  assert_load_fails (path, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH, "missing features.0.1.weight");
}

static void
test_lying_offsets (void)
{
  g_autofree char *path = fixture ("lying-offsets.safetensors");

  assert_load_fails (path, TZ_ERROR, TZ_ERROR_CORRUPT, NULL);
}

static void
test_lying_header_length (void)
{
  g_autofree char *path = fixture ("lying-header-length.safetensors");

  /* A header of a terabyte is refused before anything is allocated. */
  assert_load_fails (path, TZ_ERROR, TZ_ERROR_TOO_LARGE, NULL);
}

static void
test_not_a_file (void)
{
  g_autofree char *path = g_build_filename (workdir, "does-not-exist.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);

  g_assert_false (tz_backbone_load_weights (backbone, path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

/* Every prefix of a valid checkpoint, and every single-byte corruption of
 * its pickle, is refused cleanly or read: never a crash. */
static void
test_mutations (void)
{
  g_autofree char *path = fixture ("small-valid.pt");
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint n_ok = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  for (gsize cut = 0; cut < length; cut += 7)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (contents, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) records = tz_torch_checkpoint_read_bytes (bytes, "cut.pt", &error);

      g_assert_null (records);
      g_assert_nonnull (error);
    }
  /* data.pkl is the first member: its bytes follow a 30-byte local header
   * and the 16-byte name. */
  for (gsize at = 46; at < 46 + 300 && at < length; at++)
    for (guint v = 0; v < 3; v++)
      {
        static const guint8 values[] = { 0x00, 0xff, 'c' };
        g_autofree char *copy = g_memdup2 (contents, length);
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) records = NULL;

        copy[at] = values[v];
        bytes = g_bytes_new (copy, length);
        records = tz_torch_checkpoint_read_bytes (bytes, "mutated.pt", &error);
        g_assert_true ((records == NULL) == (error != NULL));
        n_ok += records != NULL;
      }
  g_test_message ("%u mutations still read", n_ok);
}

static void
test_fixtures_are_current (void)
{
  static const char *names[] = {
    "os-system.pt", "stack-global-eval.pt", "nested-forbidden.pt",
    "wrong-shape-small.pt", "outside-storage.pt", "short-storage.pt",
    "missing-storage.pt", "small-valid.pt", "truncated.pt",
    "truncated-pickle.pt", "lying-offsets.safetensors",
    "lying-header-length.safetensors",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *committed = fixture (names[i]);
      g_autofree char *fresh = g_build_filename (workdir, names[i], NULL);
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;
      gsize la = 0;
      gsize lb = 0;

      g_assert_true (g_file_get_contents (committed, &a, &la, NULL));
      g_assert_true (g_file_get_contents (fresh, &b, &lb, NULL));
      g_assert_cmpmem (a, la, b, lb);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  workdir = g_dir_make_tmp ("tsuzuki-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  test_run_python ("make-hostile.py", workdir, "full");

  g_test_add_func ("/backbone/hostile/os-system", test_os_system);
  g_test_add_func ("/backbone/hostile/stack-global-eval", test_stack_global_eval);
  g_test_add_func ("/backbone/hostile/nested-forbidden", test_nested_forbidden);
  g_test_add_func ("/backbone/hostile/truncated-zip", test_truncated_zip);
  g_test_add_func ("/backbone/hostile/truncated-pickle", test_truncated_pickle);
  g_test_add_func ("/backbone/hostile/wrong-shape-small", test_wrong_shape_small);
  g_test_add_func ("/backbone/hostile/wrong-shape-full", test_wrong_shape_full);
  g_test_add_func ("/backbone/hostile/outside-storage", test_outside_storage);
  g_test_add_func ("/backbone/hostile/short-storage", test_short_storage);
  g_test_add_func ("/backbone/hostile/missing-storage", test_missing_storage);
  g_test_add_func ("/backbone/hostile/small-valid-is-incomplete", test_small_valid_is_incomplete);
  g_test_add_func ("/backbone/hostile/lying-offsets", test_lying_offsets);
  g_test_add_func ("/backbone/hostile/lying-header-length", test_lying_header_length);
  g_test_add_func ("/backbone/hostile/not-a-file", test_not_a_file);
  g_test_add_func ("/backbone/hostile/mutations", test_mutations);
  g_test_add_func ("/backbone/hostile/fixtures-are-current", test_fixtures_are_current);

  status = g_test_run ();
  test_rm_rf (workdir);
  g_free (workdir);
  return status;
}
