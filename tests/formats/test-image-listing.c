/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tz-error.h"
#include "tz-image-listing.h"

/* Tiny valid images, written by Pillow 9.4 and decoded by it again:
 *   Image.new ("RGB", (1, 1), (255, 0, 0)).save (f, "PNG", optimize=True)
 *   Image.new ("L", (1, 1), 128).save (f, "JPEG", quality=50, optimize=True)
 *   Image.new ("L", (1, 1), 0).save (f, "GIF") */
static const guint8 png_bytes[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
  0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
  0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
  0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
  0x00, 0x03, 0x01, 0x01, 0x00, 0xf7, 0x03, 0x41, 0x43, 0x00, 0x00, 0x00,
  0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static const guint8 jpeg_bytes[] = {
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01,
  0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43,
  0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c, 0x0a, 0x10, 0x0e, 0x0d, 0x0e, 0x12,
  0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16, 0x18, 0x31, 0x23,
  0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40,
  0x48, 0x5c, 0x4e, 0x40, 0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6d, 0x51,
  0x57, 0x5f, 0x62, 0x67, 0x68, 0x67, 0x3e, 0x4d, 0x71, 0x79, 0x70, 0x64,
  0x78, 0x5c, 0x65, 0x67, 0x63, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01,
  0x00, 0x01, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x00, 0x01,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
  0x3f, 0xff, 0xd9,
};

static const guint8 gif_bytes[] = {
  0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 0x01, 0x00, 0x01, 0x00, 0x81, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x08,
  0x04, 0x00, 0x01, 0x04, 0x04, 0x00, 0x3b,
};

/* Bytes no magic number claims. */
static const guint8 random_bytes[] = { 0x00, 0x01, 0x02, 0xfe, 0xff, 0x10, 0x80, 0x7f };

static char *
make_tree (void)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("tz-listing-XXXXXX", &error);

  g_assert_no_error (error);
  /* Readable by others, for the unprivileged scan of test_unreadable. */
  g_assert_cmpint (g_chmod (root, 0755), ==, 0);

  return root;
}

static void
put_bytes (const char *root,
           const char *rel,
           const void *data,
           gssize      size)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
}

static void
put_png (const char *root,
         const char *rel)
{
  put_bytes (root, rel, png_bytes, sizeof png_bytes);
}

static void
put_dir (const char *root,
         const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

static void
put_link (const char *root,
          const char *rel,
          const char *target)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;

  if (S_ISDIR (st.st_mode))
    {
      DIR *dir;
      struct dirent *dirent;

      g_chmod (path, 0700);
      dir = opendir (path);
      g_assert_nonnull (dir);
      while ((dirent = readdir (dir)) != NULL)
        {
          g_autofree char *child = NULL;

          if (strcmp (dirent->d_name, ".") == 0 || strcmp (dirent->d_name, "..") == 0)
            continue;
          child = g_build_filename (path, dirent->d_name, NULL);
          remove_tree (child);
        }
      closedir (dir);
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
}

/* @path relative to @root (which it must be under). */
static const char *
relative (const char *root,
          const char *path)
{
  gsize root_len = strlen (root);

  g_assert_true (g_str_has_prefix (path, root));
  g_assert_cmpint (path[root_len], ==, '/');

  return path + root_len + 1;
}

/* The entries as "SPLIT CLASS PATH" lines, paths relative to @root. */
static char *
entries_text (const TzImageListing *listing,
              const char           *root)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < listing->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);

      g_assert_cmpuint (entry->class_index, <, listing->n_classes);
      g_string_append_printf (text, "%s %s %s\n",
                              entry->split == TZ_SPLIT_TRAIN ? "train" : "eval",
                              listing->class_names[entry->class_index],
                              relative (root, entry->path));
    }

  return g_string_free (text, FALSE);
}

/* The skipped files as "PATH: REASON" lines, paths relative to @root. */
static char *
skipped_text (const TzImageListing *listing,
              const char           *root)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < listing->skipped->len; i++)
    {
      const TzSkippedFile *skipped = listing->skipped->pdata[i];

      g_string_append_printf (text, "%s: %s\n", relative (root, skipped->path), skipped->reason);
    }

  return g_string_free (text, FALSE);
}

static char *
class_names_text (const TzImageListing *listing)
{
  g_assert_cmpuint (g_strv_length (listing->class_names), ==, listing->n_classes);

  return g_strjoinv (" ", listing->class_names);
}

static TzImageListing *
scan_ok (const char *root,
         double      eval_fraction,
         guint64     seed)
{
  g_autoptr(GError) error = NULL;
  TzImageListing *listing = tz_image_listing_scan_folder (root, eval_fraction, seed, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (listing);

  return listing;
}

/* One sub-folder per class, with every kind of thing a real folder
 * collects: nested folders, hidden and junk files, a text file named
 * .png, image bytes under a wrong or missing extension, an empty file, a
 * FIFO, a dangling link, loose files at the top and a class without
 * images. */
static void
test_layout_classes (void)
{
  g_autofree char *root = make_tree ();
  g_autofree char *fifo = g_build_filename (root, "dog", "pipe", NULL);
  g_autoptr(TzImageListing) listing = NULL;
  g_autofree char *entries = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *classes = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *expected_summary = NULL;

  put_png (root, "cat/a.png");
  put_bytes (root, "cat/b.jpg", jpeg_bytes, sizeof jpeg_bytes);
  put_bytes (root, "cat/c.gif", gif_bytes, sizeof gif_bytes);
  put_png (root, "cat/photo.txt");
  put_png (root, "cat/noext");
  /* Bytes that settle nothing: the name decides. */
  put_bytes (root, "cat/mystery.png", random_bytes, sizeof random_bytes);
  /* A long comment pushes <svg> out of the sniffing window, so the bytes
   * say XML and the name refines it. */
  put_bytes (root, "cat/drawing.svg",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<!-- Drawn by hand, then saved again and again by an editor that likes to"
             " leave a long comment at the top of every file it touches, long enough"
             " to hide the root element from a quick look at the first bytes, which is"
             " all that the MIME database looks at when it checks for an SVG -->\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n", -1);
  put_bytes (root, "cat/notes.png", "these are my notes\n", -1);
  put_bytes (root, "cat/zero.png", "", 0);
  put_png (root, "cat/.hidden.png");
  put_bytes (root, "cat/.DS_Store", random_bytes, sizeof random_bytes);
  put_bytes (root, "cat/Thumbs.db", random_bytes, sizeof random_bytes);
  put_bytes (root, "cat/desktop.ini", "[.ShellClassInfo]\n", -1);
  put_png (root, "cat/.git/objects/x.png");
  put_png (root, "cat/sub/e.png");
  put_png (root, "cat/sub/deeper/d.png");
  put_png (root, "dog/f.png");
  put_bytes (root, "dog/random.bin", random_bytes, sizeof random_bytes);
  put_link (root, "dog/dangling.png", "missing.png");
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  put_dir (root, "empty");
  put_bytes (root, "README.txt", "one folder per class\n", -1);
  put_bytes (root, "Thumbs.db", random_bytes, sizeof random_bytes);
  put_png (root, "__MACOSX/cat/._a.png");

  listing = scan_ok (root, 0.0, 1);

  classes = class_names_text (listing);
  g_assert_cmpstr (classes, ==, "cat dog empty");
  g_assert_false (listing->has_explicit_split);
  g_assert_cmpstr (listing->source, ==, root);

  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==,
                   "train cat cat/a.png\n"
                   "train cat cat/b.jpg\n"
                   "train cat cat/c.gif\n"
                   "train cat cat/drawing.svg\n"
                   "train cat cat/mystery.png\n"
                   "train cat cat/noext\n"
                   "train cat cat/photo.txt\n"
                   "train cat cat/sub/deeper/d.png\n"
                   "train cat cat/sub/e.png\n"
                   "train dog dog/f.png\n");

  skipped = skipped_text (listing, root);
  g_assert_cmpstr (skipped, ==,
                   "README.txt: not inside a class folder\n"
                   "cat/notes.png: not an image (text/plain)\n"
                   "cat/zero.png: empty file\n"
                   "dog/dangling.png: No such file or directory\n"
                   "dog/pipe: not a regular file\n"
                   "dog/random.bin: not an image (application/octet-stream)\n");

  g_assert_cmpuint (tz_image_listing_count (listing, 0, TZ_SPLIT_TRAIN), ==, 9);
  g_assert_cmpuint (tz_image_listing_count (listing, 1, TZ_SPLIT_TRAIN), ==, 1);
  g_assert_cmpuint (tz_image_listing_count (listing, 2, TZ_SPLIT_TRAIN), ==, 0);
  g_assert_cmpuint (tz_image_listing_count (listing, 0, TZ_SPLIT_EVAL), ==, 0);

  summary = tz_image_listing_describe (listing);
  expected_summary = g_strdup_printf (
    "%s: 10 images in 3 classes, 10 for training and 0 for evaluation "
    "(seeded split: 0%% of each class for evaluation, seed 1); 6 files skipped\n"
    "The class “empty” has no images.\n"
    "Skipped, not inside a class folder: 1 file\n"
    "  %s/README.txt\n"
    "Skipped, not an image (text/plain): 1 file\n"
    "  %s/cat/notes.png\n"
    "Skipped, empty file: 1 file\n"
    "  %s/cat/zero.png\n"
    "Skipped, No such file or directory: 1 file\n"
    "  %s/dog/dangling.png\n"
    "Skipped, not a regular file: 1 file\n"
    "  %s/dog/pipe\n"
    "Skipped, not an image (application/octet-stream): 1 file\n"
    "  %s/dog/random.bin\n",
    root, root, root, root, root, root, root);
  g_assert_cmpstr (summary, ==, expected_summary);

  remove_tree (root);
}

/* Digits compare by value, case only breaks ties, a sub-folder sorts
 * where its name does, and the order does not depend on the order the
 * files were created in (nor on the locale: the test runs in C). */
static void
test_natural_order (void)
{
  static const char * const files[] = {
    "img10.png", "img5.png", "a.png", "IMG3.png", "img2.png", "img5/x.png",
    "img02b.png", "A.png", "img1.png",
  };
  static const char * const classes[] = { "class10", "Class1", "class2" };
  g_autofree char *root = make_tree ();
  g_autoptr(TzImageListing) listing = NULL;
  g_autofree char *entries = NULL;
  g_autofree char *names = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);

  for (guint c = 0; c < G_N_ELEMENTS (classes); c++)
    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *rel = g_build_filename (classes[c], files[i], NULL);

        put_png (root, rel);
      }

  listing = scan_ok (root, 0.0, 0);
  names = class_names_text (listing);
  g_assert_cmpstr (names, ==, "Class1 class2 class10");

  for (guint c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      static const char * const sorted_files[] = {
        "A.png", "a.png", "img1.png", "img2.png", "img02b.png", "IMG3.png",
        "img5/x.png", "img5.png", "img10.png",
      };
      const char *name = listing->class_names[c];

      for (guint i = 0; i < G_N_ELEMENTS (sorted_files); i++)
        g_string_append_printf (expected, "train %s %s/%s\n", name, name, sorted_files[i]);
    }

  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==, expected->str);

  remove_tree (root);
}

/* train/ and an evaluation folder under any accepted name and case: the
 * folders give the split, the classes are the union of both sides, and
 * what is neither is reported. */
static void
test_layout_train_test (void)
{
  static const char * const eval_names[] = { "test", "TEST", "Eval", "validation", "Valid", "val", "VAL" };

  for (guint n = 0; n < G_N_ELEMENTS (eval_names); n++)
    {
      const char *train_name = n % 2 == 0 ? "train" : "Train";
      g_autofree char *root = make_tree ();
      g_autofree char *rel = NULL;
      g_autoptr(TzImageListing) listing = NULL;
      g_autofree char *entries = NULL;
      g_autofree char *expected_entries = NULL;
      g_autofree char *skipped = NULL;
      g_autofree char *expected_skipped = NULL;
      g_autofree char *names = NULL;
      g_autofree char *summary = NULL;
      g_autofree char *expected_summary = NULL;

      rel = g_build_filename (train_name, "cat", "b.png", NULL);
      put_png (root, rel);
      g_clear_pointer (&rel, g_free);
      rel = g_build_filename (train_name, "cat", "a.png", NULL);
      put_png (root, rel);
      g_clear_pointer (&rel, g_free);
      rel = g_build_filename (train_name, "dog", "nested", "c.png", NULL);
      put_png (root, rel);
      g_clear_pointer (&rel, g_free);
      rel = g_build_filename (train_name, "loose.png", NULL);
      put_png (root, rel);
      g_clear_pointer (&rel, g_free);
      rel = g_build_filename (eval_names[n], "cat", "d.png", NULL);
      put_png (root, rel);
      g_clear_pointer (&rel, g_free);
      rel = g_build_filename (eval_names[n], "bird", "e.png", NULL);
      put_png (root, rel);
      put_dir (root, "extra/stuff");
      put_bytes (root, "notes.txt", "hello\n", -1);

      /* The fraction and seed play no part in an explicit split. */
      listing = scan_ok (root, 0.5, 3);
      g_assert_true (listing->has_explicit_split);

      names = class_names_text (listing);
      g_assert_cmpstr (names, ==, "bird cat dog");

      entries = entries_text (listing, root);
      expected_entries = g_strdup_printf ("train cat %s/cat/a.png\n"
                                          "train cat %s/cat/b.png\n"
                                          "train dog %s/dog/nested/c.png\n"
                                          "eval bird %s/bird/e.png\n"
                                          "eval cat %s/cat/d.png\n",
                                          train_name, train_name, train_name,
                                          eval_names[n], eval_names[n]);
      g_assert_cmpstr (entries, ==, expected_entries);

      skipped = skipped_text (listing, root);
      expected_skipped = g_strdup_printf ("notes.txt: not inside a class folder\n"
                                          "%s/loose.png: not inside a class folder\n",
                                          train_name);
      g_assert_cmpstr (skipped, ==, expected_skipped);

      g_assert_cmpuint (listing->notes->len, ==, 1);
      summary = tz_image_listing_describe (listing);
      expected_summary = g_strdup_printf ("%s: 5 images in 3 classes, 3 for training and 2 for evaluation "
                                          "(split by the folders “%s” and “%s”); 2 files skipped\n"
                                          "The folder “extra” was not used: it is neither “%s” nor “%s”.\n"
                                          "The class “bird” has no training images.\n"
                                          "The class “dog” has no evaluation images.\n"
                                          "Skipped, not inside a class folder: 2 files\n"
                                          "  %s/notes.txt\n"
                                          "  %s/%s/loose.png\n",
                                          root, train_name, eval_names[n], train_name, eval_names[n],
                                          root, root, train_name);
      g_assert_cmpstr (summary, ==, expected_summary);

      remove_tree (root);
    }
}

/* test/ wins over val/ (which is mentioned); train/ alone is just a
 * class; two folders both claiming to be train/ is an error. */
static void
test_layout_ambiguous (void)
{
  g_autofree char *root = make_tree ();
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(TzImageListing) alone = NULL;
  g_autoptr(TzImageListing) twice = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entries = NULL;

  put_png (root, "train/cat/a.png");
  put_png (root, "test/cat/b.png");
  put_png (root, "val/cat/c.png");

  listing = scan_ok (root, 0.2, 0);
  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==,
                   "train cat train/cat/a.png\n"
                   "eval cat test/cat/b.png\n");
  g_assert_cmpuint (listing->notes->len, ==, 1);
  g_assert_cmpstr (listing->notes->pdata[0], ==, "The folder “val” was not used: “test” is the evaluation set.");
  remove_tree (root);
  g_clear_pointer (&entries, g_free);

  g_free (root);
  root = make_tree ();
  put_png (root, "train/a.png");
  put_png (root, "train/b.png");
  put_png (root, "dog/c.png");
  alone = scan_ok (root, 0.0, 0);
  g_assert_false (alone->has_explicit_split);
  entries = entries_text (alone, root);
  g_assert_cmpstr (entries, ==,
                   "train dog dog/c.png\n"
                   "train train train/a.png\n"
                   "train train train/b.png\n");
  g_assert_cmpuint (alone->notes->len, ==, 1);
  g_assert_cmpstr (alone->notes->pdata[0], ==, "The folder “train” is taken as a class: there is no test folder beside it.");
  remove_tree (root);

  g_free (root);
  root = make_tree ();
  put_png (root, "train/cat/a.png");
  put_png (root, "Train/cat/b.png");
  put_png (root, "test/cat/c.png");
  twice = tz_image_listing_scan_folder (root, 0.2, 0, NULL, &error);
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_assert_null (twice);
  g_assert_nonnull (strstr (error->message, root));
  g_assert_nonnull (strstr (error->message, "“Train” and “train”"));
  remove_tree (root);
}

/* Links are followed, into other folders too, but a link back up is not
 * followed round and round, and a link to itself is reported. */
static void
test_symlinks (void)
{
  g_autofree char *root = make_tree ();
  g_autofree char *outside = make_tree ();
  g_autofree char *outside_png = g_build_filename (outside, "x.png", NULL);
  g_autoptr(TzImageListing) listing = NULL;
  g_autofree char *entries = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *expected_skipped = NULL;

  put_png (root, "cat/a.png");
  put_link (root, "cat/loop", ".");
  put_link (root, "cat/sub/up", "..");
  put_link (root, "cat/self", "self");
  put_png (outside, "x.png");
  put_link (root, "cat/outside.png", outside_png);
  put_png (root, "dog/b.png");
  put_link (root, "cow", "dog");

  listing = scan_ok (root, 0.0, 0);

  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==,
                   "train cat cat/a.png\n"
                   "train cat cat/outside.png\n"
                   "train cow cow/b.png\n"
                   "train dog dog/b.png\n");

  skipped = skipped_text (listing, root);
  expected_skipped = g_strdup_printf ("cat/loop: a link to a folder already scanned (a symbolic link loop)\n"
                                      "cat/self: %s\n"
                                      "cat/sub/up: a link to a folder already scanned (a symbolic link loop)\n",
                                      g_strerror (ELOOP));
  g_assert_cmpstr (skipped, ==, expected_skipped);

  remove_tree (root);
  remove_tree (outside);
}

static void
check_unreadable (const char *root)
{
  g_autoptr(TzImageListing) listing = scan_ok (root, 0.0, 0);
  g_autofree char *entries = entries_text (listing, root);
  g_autofree char *skipped = skipped_text (listing, root);
  g_autofree char *expected_skipped = g_strdup_printf ("cat/closed: %s\n"
                                                       "cat/locked.png: %s\n",
                                                       g_strerror (EACCES), g_strerror (EACCES));

  g_assert_cmpstr (entries, ==, "train cat cat/a.png\n");
  g_assert_cmpstr (skipped, ==, expected_skipped);
}

/* Whether this root process may become nobody, tried in a throwaway
 * child so that the test process keeps its rights. */
static gboolean
can_drop_privileges (void)
{
  int status = 0;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (setgid (65534) == 0 && setuid (65534) == 0 ? 0 : 1);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* A file and a folder the user may not read are skipped with the
 * system's reason. Root reads everything, so as root the scan runs in a
 * child that has become nobody. */
static void
test_unreadable (void)
{
  g_autofree char *root = NULL;
  g_autofree char *locked = NULL;
  g_autofree char *closed = NULL;

  if (g_test_subprocess ())
    {
      const char *tree = g_getenv ("TZ_TEST_UNREADABLE_TREE");

      g_assert_nonnull (tree);
      if (geteuid () == 0)
        {
          g_assert_cmpint (setgid (65534), ==, 0);
          g_assert_cmpint (setuid (65534), ==, 0);
        }
      check_unreadable (tree);
      return;
    }

  if (geteuid () == 0 && !can_drop_privileges ())
    {
      g_test_skip ("running as root without the right to become nobody, so every file is readable");
      return;
    }

  root = make_tree ();
  locked = g_build_filename (root, "cat", "locked.png", NULL);
  closed = g_build_filename (root, "cat", "closed", NULL);
  put_png (root, "cat/a.png");
  put_png (root, "cat/locked.png");
  put_png (root, "cat/closed/x.png");
  g_assert_cmpint (g_chmod (locked, 0), ==, 0);
  g_assert_cmpint (g_chmod (closed, 0), ==, 0);

  if (geteuid () != 0)
    check_unreadable (root);
  else
    {
      g_setenv ("TZ_TEST_UNREADABLE_TREE", root, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      g_unsetenv ("TZ_TEST_UNREADABLE_TREE");
    }

  remove_tree (root);
}

/* A class folder whose name is not UTF-8 cannot become a class name; a
 * file name that is not UTF-8 is still an image. */
static void
test_non_utf8_names (void)
{
  g_autofree char *root = make_tree ();
  g_autoptr(TzImageListing) listing = NULL;
  g_autofree char *entries = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *summary = NULL;

  put_png (root, "cat/\xff\xfe.png");
  put_png (root, "\xff\xfe/a.png");

  listing = scan_ok (root, 0.0, 0);
  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==, "train cat cat/\xff\xfe.png\n");
  skipped = skipped_text (listing, root);
  g_assert_cmpstr (skipped, ==, "\xff\xfe: folder name is not valid UTF-8\n");

  summary = tz_image_listing_describe (listing);
  g_assert_true (g_utf8_validate (summary, -1, NULL));

  remove_tree (root);
}

/* Writes classes of the given sizes (a class of 0 is an empty folder). */
static void
put_classes (const char  *root,
             const guint *sizes,
             guint        n_classes)
{
  for (guint c = 0; c < n_classes; c++)
    {
      g_autofree char *class_name = g_strdup_printf ("class%c", 'a' + c);

      put_dir (root, class_name);
      for (guint i = 0; i < sizes[c]; i++)
        {
          g_autofree char *rel = g_strdup_printf ("%s/image-%u.png", class_name, i);

          put_png (root, rel);
        }
    }
}

/* Per class, round (n × fraction) held out, halves up, at least one when
 * the class has two images, never all: the counts worked out by hand. */
static void
test_split_counts (void)
{
  static const guint sizes[] = { 10, 7, 3, 2, 1, 0 };
  static const struct
  {
    double fraction;
    guint eval[G_N_ELEMENTS (sizes)];
  } cases[] = {
    { 0.0,  { 0, 0, 0, 0, 0, 0 } },
    { 0.05, { 1, 1, 1, 1, 0, 0 } },  /* 0.5 rounds up; 0.35, 0.15, 0.1 raised to 1 */
    { 0.2,  { 2, 1, 1, 1, 0, 0 } },  /* 2, 1.4, 0.6, 0.4 raised to 1, 0.2 */
    { 0.25, { 3, 2, 1, 1, 0, 0 } },  /* 2.5 up, 1.75, 0.75, 0.5 up */
    { 0.9,  { 9, 6, 2, 1, 0, 0 } },  /* 9, 6.3, 2.7 and 1.8 and 0.9 kept below n */
  };
  g_autofree char *root = make_tree ();

  put_classes (root, sizes, G_N_ELEMENTS (sizes));

  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr(TzImageListing) listing = scan_ok (root, cases[t].fraction, 42);
      gboolean seen_eval = FALSE;

      g_assert_cmpuint (listing->n_classes, ==, G_N_ELEMENTS (sizes));
      for (guint c = 0; c < G_N_ELEMENTS (sizes); c++)
        {
          g_assert_cmpuint (tz_image_listing_count (listing, c, TZ_SPLIT_EVAL), ==, cases[t].eval[c]);
          g_assert_cmpuint (tz_image_listing_count (listing, c, TZ_SPLIT_TRAIN), ==, sizes[c] - cases[t].eval[c]);
        }

      /* Training images first, whatever the classes. */
      for (guint i = 0; i < listing->entries->len; i++)
        {
          TzSplit split = g_array_index (listing->entries, TzImageEntry, i).split;

          if (split == TZ_SPLIT_EVAL)
            seen_eval = TRUE;
          else
            g_assert_false (seen_eval);
        }
    }

  remove_tree (root);
}

/* The splits Python computes for @listing's entries, from the header's
 * recipe with hashlib; NULL when Python is missing. The key name of each
 * entry is its path below @root with the first @strip_components
 * components removed. */
static char **
reference_splits (const TzImageListing *listing,
                  const char           *root,
                  guint                 strip_components)
{
  const char *python = g_getenv ("TZ_PYTHON3");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fixtures", "image-listing", "split-reference.py", NULL);
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, listing->seed);
  g_autofree char *fraction = g_strdup_printf ("%.17g", listing->eval_fraction);
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  char **lines;

  if (python == NULL || !g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;

  for (guint i = 0; i < listing->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);
      const char *name = relative (root, entry->path);

      for (guint s = 0; s < strip_components; s++)
        {
          name = strchr (name, '/');
          g_assert_nonnull (name);
          name++;
        }
      g_string_append_printf (input, "%s\t%s\n", listing->class_names[entry->class_index], name);
    }

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              python, script, seed, fraction, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input->str, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));

  lines = g_strsplit (output, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, listing->entries->len + 1);

  return lines;
}

static void
assert_matches_reference (const TzImageListing *listing,
                          const char           *root,
                          guint                 strip_components)
{
  g_auto(GStrv) expected = reference_splits (listing, root, strip_components);
  guint n_eval = 0;

  if (expected == NULL)
    {
      g_test_skip ("no Python to recompute the split");
      return;
    }

  for (guint i = 0; i < listing->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);

      g_assert_cmpstr (entry->split == TZ_SPLIT_EVAL ? "eval" : "train", ==, expected[i]);
      n_eval += entry->split == TZ_SPLIT_EVAL;
    }

  /* A reference that puts nothing in evaluation would prove little. */
  g_assert_cmpuint (n_eval, >, 0);
}

/* Exactly which images are held out, against Python's hashlib; the same
 * on a second scan; different with another seed. */
static void
test_split_reference (void)
{
  static const guint sizes[] = { 25, 12, 5 };
  g_autofree char *root = make_tree ();
  g_autoptr(TzImageListing) first = NULL;
  g_autoptr(TzImageListing) again = NULL;
  g_autoptr(TzImageListing) reseeded = NULL;
  g_autofree char *first_text = NULL;
  g_autofree char *again_text = NULL;
  g_autofree char *reseeded_text = NULL;

  put_classes (root, sizes, G_N_ELEMENTS (sizes));
  put_png (root, "classa/nested/deeper/n1.png");
  put_png (root, "classb/nested/n2.png");

  first = scan_ok (root, 0.3, G_GUINT64_CONSTANT (12345678901234567890));
  assert_matches_reference (first, root, 1);

  again = scan_ok (root, 0.3, G_GUINT64_CONSTANT (12345678901234567890));
  first_text = entries_text (first, root);
  again_text = entries_text (again, root);
  g_assert_cmpstr (first_text, ==, again_text);

  reseeded = scan_ok (root, 0.3, 7);
  assert_matches_reference (reseeded, root, 1);
  reseeded_text = entries_text (reseeded, root);
  g_assert_cmpstr (first_text, !=, reseeded_text);
  for (guint c = 0; c < first->n_classes; c++)
    g_assert_cmpuint (tz_image_listing_count (first, c, TZ_SPLIT_EVAL), ==,
                      tz_image_listing_count (reseeded, c, TZ_SPLIT_EVAL));

  remove_tree (root);
}

/* The split of every image, by path. */
static GHashTable *
splits_by_path (const TzImageListing *listing)
{
  GHashTable *splits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < listing->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);

      g_hash_table_insert (splits, g_strdup (entry->path), GINT_TO_POINTER (entry->split));
    }

  return splits;
}

/* Adding images one at a time to one class moves at most one other image
 * of that class between training and evaluation, none when the new image
 * lands in training while the class's evaluation count stays put, and
 * never an image of another class. */
static void
test_split_stability (void)
{
  static const guint other_size[] = { 0, 10 };
  g_autofree char *root = make_tree ();
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) other_before = NULL;
  guint total_moves = 0;
  guint quiet_additions = 0;

  put_classes (root, other_size, G_N_ELEMENTS (other_size));

  for (guint n = 1; n <= 40; n++)
    {
      /* Scrambled names, so that the new image is not always last. */
      g_autofree char *rel = g_strdup_printf ("classa/photo-%u.png", (n * 37) % 101);
      g_autofree char *new_path = g_build_filename (root, rel, NULL);
      g_autoptr(TzImageListing) listing = NULL;
      g_autoptr(GHashTable) after = NULL;
      GHashTableIter iter;
      gpointer key, value;
      guint moves = 0;
      guint eval_before = 0;
      guint eval_after;

      put_png (root, rel);
      listing = scan_ok (root, 0.3, 2024);
      after = splits_by_path (listing);
      eval_after = tz_image_listing_count (listing, 0, TZ_SPLIT_EVAL);
      g_assert_cmpuint (tz_image_listing_count (listing, 0, TZ_SPLIT_TRAIN) + eval_after, ==, n);

      if (before != NULL)
        {
          g_hash_table_iter_init (&iter, before);
          while (g_hash_table_iter_next (&iter, &key, &value))
            {
              gpointer now;

              g_assert_true (g_hash_table_lookup_extended (after, key, NULL, &now));
              if (g_str_has_prefix (relative (root, key), "classa/"))
                {
                  eval_before += GPOINTER_TO_INT (value) == TZ_SPLIT_EVAL;
                  moves += now != value;
                }
              else
                g_assert_true (now == value);
            }

          g_assert_cmpuint (moves, <=, 1);
          if (GPOINTER_TO_INT (g_hash_table_lookup (after, new_path)) == TZ_SPLIT_TRAIN &&
              eval_after == eval_before)
            {
              g_assert_cmpuint (moves, ==, 0);
              quiet_additions++;
            }
          total_moves += moves;
        }

      g_clear_pointer (&before, g_hash_table_unref);
      before = g_steal_pointer (&after);
    }

  g_test_message ("of 39 additions, %u landed in training without changing the evaluation count; %u older images moved in all",
                  quiet_additions, total_moves);

  /* Most additions disturb nothing; a reshuffle on each would move about
   * a third of the class every time. */
  g_assert_cmpuint (quiet_additions, >=, 15);
  g_assert_cmpuint (total_moves, <=, 20);

  remove_tree (root);
}

static void
test_folder_errors (void)
{
  g_autofree char *root = make_tree ();
  g_autofree char *missing = g_build_filename (root, "missing", NULL);
  g_autofree char *file = g_build_filename (root, "file.png", NULL);
  g_autofree char *loose = g_build_filename (root, "loose", NULL);
  g_autofree char *empty = g_build_filename (root, "empty", NULL);
  g_autofree char *good = g_build_filename (root, "good", NULL);
  static const double bad_fractions[] = { -0.1, 1.0, 1.5, NAN, INFINITY };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  put_png (root, "file.png");
  put_png (root, "loose/a.png");
  put_dir (root, "empty");
  put_png (root, "good/cat/a.png");

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_scan_folder (missing, 0.2, 0, NULL, &error);

    g_assert_null (listing);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (error->message, missing));
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_scan_folder (file, 0.2, 0, NULL, &error);

    g_assert_null (listing);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
    g_assert_nonnull (strstr (error->message, file));
  }

  /* Only loose files, or nothing at all: no class folder. */
  for (guint i = 0; i < 2; i++)
    {
      const char *folder = i == 0 ? loose : empty;
      g_autoptr(GError) error = NULL;
      g_autoptr(TzImageListing) listing = tz_image_listing_scan_folder (folder, 0.2, 0, NULL, &error);

      g_assert_null (listing);
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, folder));
      g_assert_nonnull (strstr (error->message, "no class folders"));
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad_fractions); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TzImageListing) listing = tz_image_listing_scan_folder (good, bad_fractions[i], 0, NULL, &error);

      g_assert_null (listing);
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "evaluation fraction"));
    }

  g_cancellable_cancel (cancellable);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_scan_folder (good, 0.2, 0, cancellable, &error);

    g_assert_null (listing);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }

  remove_tree (root);
}

static char *
write_list (const char *root,
            const char *name,
            const char *text,
            gssize      length)
{
  put_bytes (root, name, text, length);

  return g_build_filename (root, name, NULL);
}

/* Comments, blank lines, CRLF, spaces around fields, relative and
 * absolute paths, a "#" inside a path, a file listed twice, a missing
 * file and a text file. */
static void
test_list_file (void)
{
  g_autofree char *root = make_tree ();
  g_autofree char *absolute = g_build_filename (root, "images", "sub", "c.png", NULL);
  g_autofree char *text = NULL;
  g_autofree char *list = NULL;
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entries = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *names = NULL;

  put_png (root, "images/a.png");
  put_bytes (root, "images/b.jpg", jpeg_bytes, sizeof jpeg_bytes);
  put_png (root, "images/sub/c.png");
  put_png (root, "images/#hash.png");
  put_bytes (root, "images/notes.txt", "not a picture\n", -1);

  text = g_strdup_printf ("# my images\n"
                          "images/a.png\tcat\n"
                          "  images/b.jpg \t dog \r\n"
                          "\n"
                          "   \t \n"
                          "  # indented comment\n"
                          "%s\tcat\n"
                          "images/./a.png\tdog\n"
                          "images/notes.txt\tcat\n"
                          "images/missing.png\tbird\n"
                          "images/#hash.png\tcat",
                          absolute);
  list = write_list (root, "list.txt", text, -1);

  listing = tz_image_listing_read_list (list, 0.0, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (listing->has_explicit_split);
  g_assert_cmpstr (listing->source, ==, list);

  names = class_names_text (listing);
  g_assert_cmpstr (names, ==, "bird cat dog");

  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==,
                   "train cat images/#hash.png\n"
                   "train cat images/a.png\n"
                   "train cat images/sub/c.png\n"
                   "train dog images/b.jpg\n");

  skipped = skipped_text (listing, root);
  g_assert_cmpstr (skipped, ==,
                   "images/./a.png: already listed on line 2\n"
                   "images/notes.txt: not an image (text/plain)\n"
                   "images/missing.png: No such file or directory\n");

  remove_tree (root);
}

/* A third column gives the split, under any accepted name. */
static void
test_list_explicit_split (void)
{
  g_autofree char *root = make_tree ();
  g_autofree char *list = NULL;
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entries = NULL;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *rel = g_strdup_printf ("%u.png", i);

      put_png (root, rel);
    }

  list = write_list (root, "split.tsv",
                     "5.png\tdog\tVAL\n"
                     "0.png\tcat\ttrain\n"
                     "1.png\tcat\teval\n"
                     "2.png\tdog\tTrain\n"
                     "3.png\tcat\ttest\n"
                     "4.png\tdog\tvalidation\n", -1);
  listing = tz_image_listing_read_list (list, 0.5, 9, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (listing->has_explicit_split);

  entries = entries_text (listing, root);
  g_assert_cmpstr (entries, ==,
                   "train cat 0.png\n"
                   "train dog 2.png\n"
                   "eval cat 1.png\n"
                   "eval cat 3.png\n"
                   "eval dog 4.png\n"
                   "eval dog 5.png\n");

  remove_tree (root);
}

/* Without a third column, the seeded split keyed on the path as written,
 * against Python. */
static void
test_list_seeded_split (void)
{
  g_autofree char *root = make_tree ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *list = NULL;
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *rel = g_strdup_printf ("pics/p%u.png", i);

      put_png (root, rel);
      g_string_append_printf (text, "%s\t%s\n", rel, i % 3 == 0 ? "zebra" : "ant");
    }

  list = write_list (root, "list.txt", text->str, -1);
  listing = tz_image_listing_read_list (list, 0.25, 31337, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (listing->has_explicit_split);

  /* ant: 20 images, 5 held out; zebra: 10, 2.5 rounds up to 3. */
  g_assert_cmpuint (tz_image_listing_count (listing, 0, TZ_SPLIT_EVAL), ==, 5);
  g_assert_cmpuint (tz_image_listing_count (listing, 1, TZ_SPLIT_EVAL), ==, 3);
  assert_matches_reference (listing, root, 0);

  remove_tree (root);
}

/* Every malformed list is refused with the file and line named. */
static void
test_list_errors (void)
{
  static const struct
  {
    const char *text;
    gsize length;
    const char *message;
  } cases[] = {
#define CASE(text, message) { text, sizeof (text) - 1, message }
    CASE ("a.png\n", "line 1 has 1 field;"),
    CASE ("# c\na.png\tcat\ttrain\textra\n", "line 2 has 4 fields;"),
    CASE ("a.png\tcat\n\t cat\n", "line 2 has an empty path"),
    CASE ("a.png\t \n", "line 1 has an empty class name"),
    CASE ("a.png\tcat\tholdout\n", "line 1: unknown split “holdout”"),
    CASE ("a.png\tcat\ttrain\n\nb.png\tdog\n", "line 1 gives a split but line 3 does not"),
    CASE ("a.png\tcat\nb.png\tdog\teval\n", "line 2 gives a split but line 1 does not"),
    CASE ("a.png\tcat\n\xff\xfe\tdog\n", "line 2 is not valid UTF-8"),
    CASE ("a.png\tcat\nb\0.png\tdog\n", "line 2 is not valid UTF-8"),
#undef CASE
  };
  g_autofree char *root = make_tree ();
  g_autofree char *missing = g_build_filename (root, "missing.txt", NULL);

  put_png (root, "a.png");
  put_png (root, "b.png");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-%u.txt", i);
      g_autofree char *list = write_list (root, name, cases[i].text, cases[i].length);
      g_autoptr(GError) error = NULL;
      g_autoptr(TzImageListing) listing = tz_image_listing_read_list (list, 0.2, 0, NULL, &error);

      g_assert_null (listing);
      g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, list));
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].message);
    }

  {
    g_autofree char *list = write_list (root, "comments.txt", "# nothing\n\n  \n", -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_read_list (list, 0.2, 0, NULL, &error);

    g_assert_null (listing);
    g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, list));
    g_assert_nonnull (strstr (error->message, "lists no image"));
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_read_list (missing, 0.2, 0, NULL, &error);

    g_assert_null (listing);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (error->message, missing));
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzImageListing) listing = tz_image_listing_read_list (root, 0.2, 0, NULL, &error);

    g_assert_null (listing);
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
    g_assert_nonnull (strstr (error->message, root));
  }

  {
    g_autofree char *list = write_list (root, "good.txt", "a.png\tcat\nb.png\tdog\n", -1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(TzImageListing) listing = NULL;

    listing = tz_image_listing_read_list (list, 1.0, 0, NULL, &error);
    g_assert_null (listing);
    g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);

    g_cancellable_cancel (cancellable);
    listing = tz_image_listing_read_list (list, 0.2, 0, cancellable, &error);
    g_assert_null (listing);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }

  remove_tree (root);
}

/* What the engine adds after decoding joins the summary, grouped, with
 * long groups cut to ten paths. */
static void
test_describe_added (void)
{
  g_autofree char *root = make_tree ();
  g_autoptr(TzImageListing) listing = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);

  put_png (root, "cat/a.png");
  put_png (root, "cat/b.png");
  put_png (root, "dog/c.png");

  listing = scan_ok (root, 0.5, 5);
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/broken-%02u.png", i);

      tz_image_listing_add_skipped (listing, path, i == 3 ? "truncated" : "cannot decode");
    }

  summary = tz_image_listing_describe (listing);
  g_string_append_printf (expected,
                          "%s: 3 images in 2 classes, 2 for training and 1 for evaluation "
                          "(seeded split: 50%% of each class for evaluation, seed 5); 12 files skipped\n"
                          "The class “dog” has no evaluation images.\n"
                          "Skipped, cannot decode: 11 files\n",
                          root);
  for (guint i = 0; i < 12; i++)
    if (i != 3 && i != 11)
      g_string_append_printf (expected, "  /data/broken-%02u.png\n", i);
  g_string_append (expected,
                   "  … and 1 more\n"
                   "Skipped, truncated: 1 file\n"
                   "  /data/broken-03.png\n");
  g_assert_cmpstr (summary, ==, expected->str);

  remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image-listing/layout/classes", test_layout_classes);
  g_test_add_func ("/image-listing/layout/natural-order", test_natural_order);
  g_test_add_func ("/image-listing/layout/train-test", test_layout_train_test);
  g_test_add_func ("/image-listing/layout/ambiguous", test_layout_ambiguous);
  g_test_add_func ("/image-listing/layout/symlinks", test_symlinks);
  g_test_add_func ("/image-listing/layout/unreadable", test_unreadable);
  g_test_add_func ("/image-listing/layout/non-utf8", test_non_utf8_names);
  g_test_add_func ("/image-listing/layout/errors", test_folder_errors);
  g_test_add_func ("/image-listing/split/counts", test_split_counts);
  g_test_add_func ("/image-listing/split/reference", test_split_reference);
  g_test_add_func ("/image-listing/split/stability", test_split_stability);
  g_test_add_func ("/image-listing/list/file", test_list_file);
  g_test_add_func ("/image-listing/list/explicit-split", test_list_explicit_split);
  g_test_add_func ("/image-listing/list/seeded-split", test_list_seeded_split);
  g_test_add_func ("/image-listing/list/errors", test_list_errors);
  g_test_add_func ("/image-listing/describe/added", test_describe_added);

  return g_test_run ();
}
