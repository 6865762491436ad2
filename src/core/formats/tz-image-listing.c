/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tz-error.h"
#include "tz-format-private.h"
#include "tz-image-listing.h"

/* Enough for every image magic number shared-mime-info knows, and small
 * enough that sniffing a folder of 60 000 images stays cheap. */
#define SNIFF_SIZE 4096

/* A list file is read whole; this bound keeps a wrong file (a disk image
 * passed by mistake) from being loaded into memory. */
#define MAX_LIST_FILE_SIZE ((goffset) 256 * 1024 * 1024)

/* At most this many paths per reason in the summary; the rest are
 * counted. */
#define DESCRIBE_MAX_PATHS 10

/* The evaluation side of FOLDER/train + FOLDER/<eval>, in order of
 * preference: "test" is what a data set reports on, the others are what
 * people call their held-out folder when there is no test/. */
static const char * const eval_folder_names[] = {
  "test", "eval", "validation", "valid", "val",
};

/* Files that operating systems and archivers leave behind in image
 * folders; nobody means them as images, so they are not even reported. */
static const char * const junk_names[] = {
  "Thumbs.db", "ehthumbs.db", "desktop.ini", "__MACOSX",
};

/* An image found, before the split is assigned and the entries sorted. */
typedef struct
{
  char *path;
  /* What the split key hashes: the path relative to the class folder, or
   * the path as a list file wrote it. */
  char *key_name;
  /* @path case-folded, for the natural order. */
  char *fold;
  guint class_index;
  TzSplit split;
  guint64 key;
} Found;

/* A class folder to scan: a class on one side. */
typedef struct
{
  char *name;
  char *path;
  TzSplit split;
} ClassFolder;

/* A name in a folder with its sort key. */
typedef struct
{
  char *name;
  char *fold;
} DirName;

typedef struct
{
  TzImageListing *listing;
  GArray *found;
  GCancellable *cancellable;
  /* (st_dev, st_ino) of the folders entered while scanning one class
   * folder, so that a link back up is not followed forever. */
  GHashTable *visited;
} Scan;

static void
found_clear (gpointer data)
{
  Found *found = data;

  g_free (found->path);
  g_free (found->key_name);
  g_free (found->fold);
}

static void
class_folder_free (gpointer data)
{
  ClassFolder *folder = data;

  g_free (folder->name);
  g_free (folder->path);
  g_free (folder);
}

static void
dir_name_free (gpointer data)
{
  DirName *name = data;

  g_free (name->name);
  g_free (name->fold);
  g_free (name);
}

static void
entry_clear (gpointer data)
{
  TzImageEntry *entry = data;

  g_free (entry->path);
}

static void
skipped_file_free (gpointer data)
{
  TzSkippedFile *skipped = data;

  g_free (skipped->path);
  g_free (skipped->reason);
  g_free (skipped);
}

void
tz_image_listing_free (TzImageListing *self)
{
  if (self == NULL)
    return;

  g_free (self->source);
  g_strfreev (self->class_names);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  g_clear_pointer (&self->notes, g_ptr_array_unref);
  g_free (self->split_description);
  g_free (self);
}

static TzImageListing *
listing_new (const char *source,
             double      eval_fraction,
             guint64     seed)
{
  TzImageListing *self = g_new0 (TzImageListing, 1);

  self->source = g_strdup (source);
  self->entries = g_array_new (FALSE, FALSE, sizeof (TzImageEntry));
  g_array_set_clear_func (self->entries, entry_clear);
  self->skipped = g_ptr_array_new_with_free_func (skipped_file_free);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  self->eval_fraction = eval_fraction;
  self->seed = seed;

  return self;
}

void
tz_image_listing_add_skipped (TzImageListing *self,
                              const char     *path,
                              const char     *reason)
{
  TzSkippedFile *skipped;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (reason != NULL);

  skipped = g_new0 (TzSkippedFile, 1);
  skipped->path = g_strdup (path);
  skipped->reason = g_strdup (reason);
  g_ptr_array_add (self->skipped, skipped);
}

guint
tz_image_listing_count (const TzImageListing *self,
                        guint                 class_index,
                        TzSplit               split)
{
  guint count = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (self->entries, TzImageEntry, i);

      if (entry->class_index == class_index && entry->split == split)
        count++;
    }

  return count;
}

/* Natural order on @a_len and @b_len bytes: digit runs by value, the rest
 * by byte, which for UTF-8 is code point order. */
static int
natural_compare_span (const char *a,
                      gsize       a_len,
                      const char *b,
                      gsize       b_len)
{
  gsize i = 0;
  gsize j = 0;

  while (i < a_len && j < b_len)
    {
      if (g_ascii_isdigit (a[i]) && g_ascii_isdigit (b[j]))
        {
          gsize a_start = i;
          gsize b_start = j;
          gsize a_digits;
          gsize b_digits;
          int cmp;

          while (a_start < a_len && a[a_start] == '0')
            a_start++;
          while (b_start < b_len && b[b_start] == '0')
            b_start++;
          i = a_start;
          j = b_start;
          while (i < a_len && g_ascii_isdigit (a[i]))
            i++;
          while (j < b_len && g_ascii_isdigit (b[j]))
            j++;

          /* Without leading zeros, a longer run is a larger number. */
          a_digits = i - a_start;
          b_digits = j - b_start;
          if (a_digits != b_digits)
            return a_digits < b_digits ? -1 : 1;
          cmp = memcmp (a + a_start, b + b_start, a_digits);
          if (cmp != 0)
            return cmp < 0 ? -1 : 1;
        }
      else
        {
          if (a[i] != b[j])
            return (guchar) a[i] < (guchar) b[j] ? -1 : 1;
          i++;
          j++;
        }
    }

  if (i < a_len)
    return 1;
  if (j < b_len)
    return -1;
  return 0;
}

/* Case folding needs valid UTF-8; file names need not be, and the
 * replacement characters only affect the order, never which file is
 * meant. */
static char *
fold_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);

  return g_utf8_casefold (valid, -1);
}

static int
compare_names (const char *a_fold,
               const char *a,
               const char *b_fold,
               const char *b)
{
  int cmp = natural_compare_span (a_fold, strlen (a_fold), b_fold, strlen (b_fold));

  if (cmp != 0)
    return cmp;

  return strcmp (a, b);
}

/* Component by component, so that the files of folder "a" sort where "a"
 * sorts among its siblings. Case folding keeps "/" where it was, so the
 * components of @a_fold line up with those of @a. */
static int
compare_paths (const char *a_fold,
               const char *a,
               const char *b_fold,
               const char *b)
{
  while (TRUE)
    {
      gsize a_fold_len = strcspn (a_fold, "/");
      gsize b_fold_len = strcspn (b_fold, "/");
      gsize a_len = strcspn (a, "/");
      gsize b_len = strcspn (b, "/");
      int cmp;

      cmp = natural_compare_span (a_fold, a_fold_len, b_fold, b_fold_len);
      if (cmp != 0)
        return cmp;

      cmp = memcmp (a, b, MIN (a_len, b_len));
      if (cmp != 0)
        return cmp < 0 ? -1 : 1;
      if (a_len != b_len)
        return a_len < b_len ? -1 : 1;

      a_fold += a_fold_len;
      b_fold += b_fold_len;
      a += a_len;
      b += b_len;

      if (*a == '\0' || *b == '\0')
        return (*a != '\0') - (*b != '\0');

      a_fold++;
      b_fold++;
      a++;
      b++;
    }
}

static int
compare_dir_names (gconstpointer a,
                   gconstpointer b)
{
  const DirName *name_a = *(const DirName * const *) a;
  const DirName *name_b = *(const DirName * const *) b;

  return compare_names (name_a->fold, name_a->name, name_b->fold, name_b->name);
}

static int
compare_class_names (gconstpointer a,
                     gconstpointer b)
{
  const char *name_a = *(const char * const *) a;
  const char *name_b = *(const char * const *) b;
  g_autofree char *fold_a = g_utf8_casefold (name_a, -1);
  g_autofree char *fold_b = g_utf8_casefold (name_b, -1);

  return compare_names (fold_a, name_a, fold_b, name_b);
}

static int
compare_found (gconstpointer a,
               gconstpointer b)
{
  const Found *found_a = a;
  const Found *found_b = b;

  if (found_a->split != found_b->split)
    return found_a->split == TZ_SPLIT_TRAIN ? -1 : 1;
  if (found_a->class_index != found_b->class_index)
    return found_a->class_index < found_b->class_index ? -1 : 1;

  return compare_paths (found_a->fold, found_a->path, found_b->fold, found_b->path);
}

static int
compare_found_by_key (gconstpointer a,
                      gconstpointer b)
{
  const Found *found_a = *(const Found * const *) a;
  const Found *found_b = *(const Found * const *) b;

  if (found_a->key != found_b->key)
    return found_a->key < found_b->key ? -1 : 1;

  return compare_paths (found_a->fold, found_a->path, found_b->fold, found_b->path);
}

/* The documented key: SHA-256 of "SEED\nCLASS\nNAME", first 8 bytes
 * big-endian. A cryptographic hash is overkill for mixing, but it is the
 * one every language has, so anyone can recompute the split. */
static guint64
split_key (guint64     seed,
           const char *class_name,
           const char *key_name)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  char seed_text[24];
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint64 key = 0;

  g_snprintf (seed_text, sizeof seed_text, "%" G_GUINT64_FORMAT "\n", seed);
  g_checksum_update (checksum, (const guchar *) seed_text, -1);
  g_checksum_update (checksum, (const guchar *) class_name, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) key_name, -1);
  g_checksum_get_digest (checksum, digest, &digest_len);
  g_assert (digest_len == sizeof digest);

  for (guint i = 0; i < 8; i++)
    key = (key << 8) | digest[i];

  return key;
}

static guint
eval_count (guint  n,
            double eval_fraction)
{
  guint k = (guint) floor ((double) n * eval_fraction + 0.5);

  if (k == 0 && n >= 2 && eval_fraction > 0)
    k = 1;
  if (n > 0 && k >= n)
    k = n - 1;

  return k;
}

static void
assign_seeded_split (TzImageListing *listing,
                     GArray         *found)
{
  g_autofree GPtrArray **members = g_new0 (GPtrArray *, listing->n_classes);

  for (guint c = 0; c < listing->n_classes; c++)
    members[c] = g_ptr_array_new ();

  for (guint i = 0; i < found->len; i++)
    {
      Found *item = &g_array_index (found, Found, i);

      g_assert (item->class_index < listing->n_classes);
      item->key = split_key (listing->seed, listing->class_names[item->class_index], item->key_name);
      item->split = TZ_SPLIT_TRAIN;
      g_ptr_array_add (members[item->class_index], item);
    }

  for (guint c = 0; c < listing->n_classes; c++)
    {
      guint k = eval_count (members[c]->len, listing->eval_fraction);

      g_ptr_array_sort (members[c], compare_found_by_key);
      for (guint i = 0; i < k; i++)
        ((Found *) members[c]->pdata[i])->split = TZ_SPLIT_EVAL;
      g_ptr_array_unref (members[c]);
    }
}

/* Sorts what was found and moves it into @listing->entries. */
static void
listing_take_found (TzImageListing *listing,
                    GArray         *found)
{
  g_array_sort (found, compare_found);
  g_array_set_size (listing->entries, found->len);

  for (guint i = 0; i < found->len; i++)
    {
      Found *item = &g_array_index (found, Found, i);
      TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);

      entry->path = g_steal_pointer (&item->path);
      entry->class_index = item->class_index;
      entry->split = item->split;
    }
}

/* Sets the sorted, distinct class names from the keys of @classes and
 * stores each one's index as its value. */
static void
listing_set_classes (TzImageListing *listing,
                     GHashTable     *classes)
{
  g_autofree gpointer *names = NULL;
  guint n = 0;

  names = g_hash_table_get_keys_as_array (classes, &n);
  qsort (names, n, sizeof (gpointer), compare_class_names);

  listing->n_classes = n;
  listing->class_names = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      listing->class_names[i] = g_strdup (names[i]);
      g_hash_table_insert (classes, names[i], GUINT_TO_POINTER (i));
    }
}

static gboolean
is_eval_name (const char *word)
{
  for (guint i = 0; i < G_N_ELEMENTS (eval_folder_names); i++)
    if (g_ascii_strcasecmp (word, eval_folder_names[i]) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
is_ignored_name (const char *name)
{
  if (name[0] == '.')
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (junk_names); i++)
    if (g_ascii_strcasecmp (name, junk_names[i]) == 0)
      return TRUE;

  return FALSE;
}

/* The names in @path that are neither hidden nor junk, in natural order;
 * NULL with @error_number set when the folder cannot be read (errno itself
 * would not survive the clean-up on the way out). */
static GPtrArray *
read_folder_names (const char *path,
                   int        *error_number)
{
  g_autoptr(GPtrArray) names = NULL;
  struct dirent *dirent;
  DIR *dir;
  int saved_errno;

  dir = opendir (path);
  if (dir == NULL)
    {
      *error_number = errno;
      return NULL;
    }

  names = g_ptr_array_new_with_free_func (dir_name_free);

  errno = 0;
  while ((dirent = readdir (dir)) != NULL)
    {
      DirName *name;

      if (!is_ignored_name (dirent->d_name))
        {
          name = g_new0 (DirName, 1);
          name->name = g_strdup (dirent->d_name);
          name->fold = fold_name (dirent->d_name);
          g_ptr_array_add (names, name);
        }
      errno = 0;
    }
  saved_errno = errno;
  closedir (dir);

  if (saved_errno != 0)
    {
      *error_number = saved_errno;
      return NULL;
    }

  g_ptr_array_sort (names, compare_dir_names);

  return g_steal_pointer (&names);
}

static void
skip_errno (TzImageListing *listing,
            const char     *path,
            int             saved_errno)
{
  tz_image_listing_add_skipped (listing, path, g_strerror (saved_errno));
}

static gboolean
content_type_is_image (const char *content_type)
{
  g_autofree char *mime = g_content_type_get_mime_type (content_type);

  return mime != NULL && g_str_has_prefix (mime, "image/");
}

/* The content type decided from @data and, where the bytes do not settle
 * it, from @name. g_content_type_guess() given both trusts an unambiguous
 * extension over the bytes, which would pass a text file named x.png, so
 * the bytes are asked first on their own. */
static char *
guess_content_type (const char   *name,
                    const guint8 *data,
                    gsize         size)
{
  g_autofree char *by_data = NULL;
  g_autofree char *by_name = NULL;
  gboolean data_uncertain = FALSE;
  gboolean name_uncertain = FALSE;

  by_data = g_content_type_guess (NULL, data, size, &data_uncertain);
  if (content_type_is_image (by_data) && !data_uncertain)
    return g_steal_pointer (&by_data);

  by_name = g_content_type_guess (name, NULL, 0, &name_uncertain);
  if (data_uncertain)
    return name_uncertain ? g_steal_pointer (&by_data) : g_steal_pointer (&by_name);

  /* An SVG whose header comment pushes <svg> past the sniffing window
   * sniffs as XML; the name may refine what the bytes say, never
   * contradict it. */
  if (!name_uncertain &&
      content_type_is_image (by_name) &&
      g_content_type_is_a (by_name, by_data))
    return g_steal_pointer (&by_name);

  return g_steal_pointer (&by_data);
}

/* NULL when @path is an image worth listing, otherwise why not. */
static char *
check_image_file (const char *path)
{
  g_autofree char *basename = NULL;
  g_autofree char *content_type = NULL;
  guint8 buffer[SNIFF_SIZE];
  struct stat st;
  gsize got = 0;
  int saved_errno;
  int fd;

  /* O_NONBLOCK: a FIFO swapped in after the caller's stat must not hang
   * the scan in open(). */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    return g_strdup (g_strerror (errno));

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      close (fd);
      return g_strdup (g_strerror (saved_errno));
    }

  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      return g_strdup ("not a regular file");
    }

  while (got < sizeof buffer)
    {
      gssize n = read (fd, buffer + got, sizeof buffer - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          return g_strdup (g_strerror (saved_errno));
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  close (fd);

  if (got == 0)
    return g_strdup ("empty file");

  basename = g_path_get_basename (path);
  content_type = guess_content_type (basename, buffer, got);
  if (!content_type_is_image (content_type))
    {
      g_autofree char *mime = g_content_type_get_mime_type (content_type);

      return g_strdup_printf ("not an image (%s)", mime != NULL ? mime : content_type);
    }

  return NULL;
}

static void
add_found (GArray     *found,
           const char *path,
           const char *key_name,
           guint       class_index,
           TzSplit     split)
{
  Found item = { 0 };

  item.path = g_strdup (path);
  item.key_name = g_strdup (key_name);
  item.fold = fold_name (path);
  item.class_index = class_index;
  item.split = split;
  g_array_append_val (found, item);
}

typedef struct
{
  dev_t dev;
  ino_t ino;
} FolderId;

static guint
folder_id_hash (gconstpointer data)
{
  const FolderId *id = data;

  guint64 ino = (guint64) id->ino;
  guint64 dev = (guint64) id->dev;

  return (guint) (ino ^ (ino >> 32) ^ (dev * 2654435761u));
}

static gboolean
folder_id_equal (gconstpointer a,
                 gconstpointer b)
{
  const FolderId *id_a = a;
  const FolderId *id_b = b;

  return id_a->dev == id_b->dev && id_a->ino == id_b->ino;
}

/* Lists the images under @path (a folder of class @class_index whose path
 * relative to the class folder is @prefix, or NULL for the class folder
 * itself); FALSE only when cancelled. */
static gboolean
scan_tree (Scan        *scan,
           const char  *path,
           const char  *prefix,
           guint        class_index,
           TzSplit      split,
           GError     **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autofree FolderId *id = g_new0 (FolderId, 1);
  GStatBuf st;
  int error_number = 0;

  if (g_cancellable_set_error_if_cancelled (scan->cancellable, error))
    return FALSE;

  if (g_stat (path, &st) != 0)
    {
      skip_errno (scan->listing, path, errno);
      return TRUE;
    }

  id->dev = st.st_dev;
  id->ino = st.st_ino;
  if (g_hash_table_contains (scan->visited, id))
    {
      tz_image_listing_add_skipped (scan->listing, path,
                                    "a link to a folder already scanned (a symbolic link loop)");
      return TRUE;
    }
  g_hash_table_add (scan->visited, g_steal_pointer (&id));

  names = read_folder_names (path, &error_number);
  if (names == NULL)
    {
      skip_errno (scan->listing, path, error_number);
      return TRUE;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const DirName *name = names->pdata[i];
      g_autofree char *child = g_build_filename (path, name->name, NULL);
      g_autofree char *child_prefix = NULL;

      if (g_cancellable_set_error_if_cancelled (scan->cancellable, error))
        return FALSE;

      child_prefix = prefix != NULL ? g_strconcat (prefix, "/", name->name, NULL)
                                    : g_strdup (name->name);

      if (g_stat (child, &st) != 0)
        skip_errno (scan->listing, child, errno);
      else if (S_ISDIR (st.st_mode))
        {
          if (!scan_tree (scan, child, child_prefix, class_index, split, error))
            return FALSE;
        }
      else if (!S_ISREG (st.st_mode))
        tz_image_listing_add_skipped (scan->listing, child, "not a regular file");
      else
        {
          g_autofree char *reason = check_image_file (child);

          if (reason != NULL)
            tz_image_listing_add_skipped (scan->listing, child, reason);
          else
            add_found (scan->found, child, child_prefix, class_index, split);
        }
    }

  return TRUE;
}

static gboolean
check_eval_fraction (double   eval_fraction,
                     GError **error)
{
  if (!(eval_fraction >= 0 && eval_fraction < 1))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "The evaluation fraction must be at least 0 and below 1, not %g",
                   eval_fraction);
      return FALSE;
    }

  return TRUE;
}

/* A name in the top folder with what stat() said of it. */
typedef struct
{
  const char *name;
  char *path;
  gboolean is_dir;
  int stat_errno;
} TopItem;

static void
top_item_clear (gpointer data)
{
  TopItem *item = data;

  g_free (item->path);
}

/* Adds the class folders inside @side_path (train/ or test/) to
 * @class_folders; loose files there go to skipped. */
static void
collect_class_folders (TzImageListing *listing,
                       const char     *side_path,
                       TzSplit         split,
                       GPtrArray      *class_folders)
{
  g_autoptr(GPtrArray) names = NULL;
  int error_number = 0;

  names = read_folder_names (side_path, &error_number);
  if (names == NULL)
    {
      skip_errno (listing, side_path, error_number);
      return;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const DirName *name = names->pdata[i];
      g_autofree char *path = g_build_filename (side_path, name->name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) != 0)
        skip_errno (listing, path, errno);
      else if (!S_ISDIR (st.st_mode))
        tz_image_listing_add_skipped (listing, path, "not inside a class folder");
      else if (!g_utf8_validate (name->name, -1, NULL))
        tz_image_listing_add_skipped (listing, path, "folder name is not valid UTF-8");
      else
        {
          ClassFolder *folder = g_new0 (ClassFolder, 1);

          folder->name = g_strdup (name->name);
          folder->path = g_steal_pointer (&path);
          folder->split = split;
          g_ptr_array_add (class_folders, folder);
        }
    }
}

/* Index into @items of the one folder named @word (ASCII
 * case-insensitively); -1 when none, -2 with @error set when several. */
static int
find_top_folder (GArray      *items,
                 const char  *word,
                 const char  *display_name,
                 GError     **error)
{
  int found = -1;

  for (guint i = 0; i < items->len; i++)
    {
      const TopItem *item = &g_array_index (items, TopItem, i);

      if (!item->is_dir || g_ascii_strcasecmp (item->name, word) != 0)
        continue;

      if (found >= 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "%s: both “%s” and “%s” are there; keep one of them",
                       display_name, g_array_index (items, TopItem, found).name, item->name);
          return -2;
        }
      found = (int) i;
    }

  return found;
}

TzImageListing *
tz_image_listing_scan_folder (const char    *folder,
                              double         eval_fraction,
                              guint64        seed,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GPtrArray) class_folders = NULL;
  g_autoptr(GHashTable) classes = NULL;
  g_autoptr(GArray) found = NULL;
  g_autofree char *display_name = NULL;
  int train_index = -1;
  int eval_index = -1;
  GStatBuf st;
  int error_number = 0;
  Scan scan = { 0 };

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_eval_fraction (eval_fraction, error))
    return NULL;

  display_name = tz_format_display_name (folder);

  if (g_stat (folder, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: %s", display_name, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   "%s: not a folder", display_name);
      return NULL;
    }

  names = read_folder_names (folder, &error_number);
  if (names == NULL)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (error_number),
                   "%s: %s", display_name, g_strerror (error_number));
      return NULL;
    }

  listing = listing_new (folder, eval_fraction, seed);

  items = g_array_sized_new (FALSE, TRUE, sizeof (TopItem), names->len);
  g_array_set_clear_func (items, top_item_clear);
  for (guint i = 0; i < names->len; i++)
    {
      const DirName *name = names->pdata[i];
      TopItem item = { 0 };

      item.name = name->name;
      item.path = g_build_filename (folder, name->name, NULL);
      if (g_stat (item.path, &st) != 0)
        item.stat_errno = errno;
      else
        item.is_dir = S_ISDIR (st.st_mode);
      g_array_append_val (items, item);
    }

  train_index = find_top_folder (items, "train", display_name, error);
  if (train_index == -2)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (eval_folder_names) && eval_index < 0; i++)
    {
      eval_index = find_top_folder (items, eval_folder_names[i], display_name, error);
      if (eval_index == -2)
        return NULL;
    }

  class_folders = g_ptr_array_new_with_free_func (class_folder_free);

  if (train_index >= 0 && eval_index >= 0)
    {
      const TopItem *train = &g_array_index (items, TopItem, train_index);
      const TopItem *eval = &g_array_index (items, TopItem, eval_index);

      listing->has_explicit_split = TRUE;
      listing->split_description = g_strdup_printf ("split by the folders “%s” and “%s”",
                                                    train->name, eval->name);

      for (guint i = 0; i < items->len; i++)
        {
          const TopItem *item = &g_array_index (items, TopItem, i);

          if ((int) i == train_index || (int) i == eval_index)
            continue;

          if (item->stat_errno != 0)
            skip_errno (listing, item->path, item->stat_errno);
          else if (!item->is_dir)
            tz_image_listing_add_skipped (listing, item->path, "not inside a class folder");
          else if (is_eval_name (item->name))
            g_ptr_array_add (listing->notes,
                             g_strdup_printf ("The folder “%s” was not used: “%s” is the evaluation set.",
                                              item->name, eval->name));
          else
            g_ptr_array_add (listing->notes,
                             g_strdup_printf ("The folder “%s” was not used: it is neither “%s” nor “%s”.",
                                              item->name, train->name, eval->name));
        }

      collect_class_folders (listing, train->path, TZ_SPLIT_TRAIN, class_folders);
      collect_class_folders (listing, eval->path, TZ_SPLIT_EVAL, class_folders);
    }
  else
    {
      g_autofree char *percent = g_strdup_printf ("%g", eval_fraction * 100);

      listing->split_description = g_strdup_printf ("seeded split: %s%% of each class for evaluation, seed %" G_GUINT64_FORMAT,
                                                     percent, seed);
      if (train_index >= 0)
        g_ptr_array_add (listing->notes,
                         g_strdup_printf ("The folder “%s” is taken as a class: there is no test folder beside it.",
                                          g_array_index (items, TopItem, train_index).name));

      for (guint i = 0; i < items->len; i++)
        {
          const TopItem *item = &g_array_index (items, TopItem, i);

          if (item->stat_errno != 0)
            skip_errno (listing, item->path, item->stat_errno);
          else if (!item->is_dir)
            tz_image_listing_add_skipped (listing, item->path, "not inside a class folder");
          else if (!g_utf8_validate (item->name, -1, NULL))
            tz_image_listing_add_skipped (listing, item->path, "folder name is not valid UTF-8");
          else
            {
              ClassFolder *class_folder = g_new0 (ClassFolder, 1);

              class_folder->name = g_strdup (item->name);
              class_folder->path = g_strdup (item->path);
              class_folder->split = TZ_SPLIT_TRAIN;
              g_ptr_array_add (class_folders, class_folder);
            }
        }
    }

  if (class_folders->len == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "%s: no class folders; expected one sub-folder per class, or “train” and “test” folders each holding them",
                   display_name);
      return NULL;
    }

  classes = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < class_folders->len; i++)
    g_hash_table_add (classes, ((ClassFolder *) class_folders->pdata[i])->name);
  listing_set_classes (listing, classes);

  found = g_array_new (FALSE, TRUE, sizeof (Found));
  g_array_set_clear_func (found, found_clear);
  scan.listing = listing;
  scan.found = found;
  scan.cancellable = cancellable;

  for (guint i = 0; i < class_folders->len; i++)
    {
      const ClassFolder *class_folder = class_folders->pdata[i];
      guint class_index = GPOINTER_TO_UINT (g_hash_table_lookup (classes, class_folder->name));
      gboolean ok;

      scan.visited = g_hash_table_new_full (folder_id_hash, folder_id_equal, g_free, NULL);
      ok = scan_tree (&scan, class_folder->path, NULL, class_index, class_folder->split, error);
      g_clear_pointer (&scan.visited, g_hash_table_unref);
      if (!ok)
        return NULL;
    }

  if (!listing->has_explicit_split)
    assign_seeded_split (listing, found);
  listing_take_found (listing, found);

  return g_steal_pointer (&listing);
}

static gboolean
parse_split (const char *word,
             TzSplit    *split)
{
  if (g_ascii_strcasecmp (word, "train") == 0)
    *split = TZ_SPLIT_TRAIN;
  else if (is_eval_name (word))
    *split = TZ_SPLIT_EVAL;
  else
    return FALSE;

  return TRUE;
}

/* A line of a list file, parsed. */
typedef struct
{
  guint line_number;
  char *path;
  char *written_path;
  char *class_name;
  gboolean has_split;
  TzSplit split;
} ListLine;

static void
list_line_clear (gpointer data)
{
  ListLine *line = data;

  g_free (line->path);
  g_free (line->written_path);
  g_free (line->class_name);
}

/* Parses @text into @lines; FALSE with @error naming the file and line
 * for the first malformed line. */
static gboolean
parse_list (const char  *display_name,
            const char  *list_folder,
            char        *text,
            gsize        length,
            GArray      *lines,
            GError     **error)
{
  guint line_number = 0;
  guint first_with_split = 0;
  guint first_without_split = 0;
  char *cursor = text;
  char *end = text + length;

  while (cursor < end)
    {
      char *newline = memchr (cursor, '\n', (gsize) (end - cursor));
      char *line_end = newline != NULL ? newline : end;
      g_auto(GStrv) fields = NULL;
      ListLine line = { 0 };
      const char *line_start;
      const char *start;
      guint n_fields;

      line_number++;

      /* g_utf8_validate_len() also refuses NUL bytes, which would cut the
       * line short below. */
      if (!g_utf8_validate_len (cursor, (gsize) (line_end - cursor), NULL))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u is not valid UTF-8 text", display_name, line_number);
          return FALSE;
        }

      *line_end = '\0';
      if (line_end > cursor && line_end[-1] == '\r')
        line_end[-1] = '\0';
      line_start = cursor;
      cursor = line_end + 1;

      start = line_start;
      while (*start == ' ' || *start == '\t')
        start++;
      if (*start == '\0' || *start == '#')
        continue;

      /* Split the line as written: a leading tab means an empty path. */
      fields = g_strsplit (line_start, "\t", 0);
      n_fields = g_strv_length (fields);
      for (guint i = 0; i < n_fields; i++)
        g_strstrip (fields[i]);

      if (n_fields < 2 || n_fields > 3)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u has %u field%s; expected PATH, a tab, CLASS and optionally a tab and train or eval",
                       display_name, line_number, n_fields, n_fields == 1 ? "" : "s");
          return FALSE;
        }
      if (fields[0][0] == '\0')
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u has an empty path", display_name, line_number);
          return FALSE;
        }
      if (fields[1][0] == '\0')
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u has an empty class name", display_name, line_number);
          return FALSE;
        }
      if (n_fields == 3 && !parse_split (fields[2], &line.split))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u: unknown split “%s” (expected train, or eval, test, val, valid or validation)",
                       display_name, line_number, fields[2]);
          return FALSE;
        }

      line.line_number = line_number;
      line.has_split = n_fields == 3;
      line.written_path = g_strdup (fields[0]);
      line.class_name = g_strdup (fields[1]);
      if (g_path_is_absolute (fields[0]) || list_folder == NULL)
        line.path = g_strdup (fields[0]);
      else
        line.path = g_build_filename (list_folder, fields[0], NULL);

      if (line.has_split && first_with_split == 0)
        first_with_split = line_number;
      if (!line.has_split && first_without_split == 0)
        first_without_split = line_number;

      g_array_append_val (lines, line);

      if (first_with_split != 0 && first_without_split != 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u gives a split but line %u does not; give one on every line or on none",
                       display_name, first_with_split, first_without_split);
          return FALSE;
        }
    }

  return TRUE;
}

TzImageListing *
tz_image_listing_read_list (const char    *list_file,
                            double         eval_fraction,
                            guint64        seed,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GArray) lines = NULL;
  g_autoptr(GArray) found = NULL;
  g_autoptr(GHashTable) classes = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *list_folder = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  GStatBuf st;

  g_return_val_if_fail (list_file != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_eval_fraction (eval_fraction, error))
    return NULL;

  display_name = tz_format_display_name (list_file);

  if (g_stat (list_file, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: %s", display_name, g_strerror (saved_errno));
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
                   "%s: a folder, not a list file", display_name);
      return NULL;
    }
  if (S_ISREG (st.st_mode) && st.st_size > MAX_LIST_FILE_SIZE)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: %" G_GINT64_FORMAT " bytes is too large for a list of images (the limit is %" G_GINT64_FORMAT ")",
                   display_name, (gint64) st.st_size, (gint64) MAX_LIST_FILE_SIZE);
      return NULL;
    }

  if (!g_file_get_contents (list_file, &text, &length, error))
    return NULL;

  list_folder = g_path_get_dirname (list_file);
  if (g_strcmp0 (list_folder, ".") == 0)
    g_clear_pointer (&list_folder, g_free);

  lines = g_array_new (FALSE, TRUE, sizeof (ListLine));
  g_array_set_clear_func (lines, list_line_clear);
  if (!parse_list (display_name, list_folder, text, length, lines, error))
    return NULL;

  if (lines->len == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "%s: lists no image", display_name);
      return NULL;
    }

  listing = listing_new (list_file, eval_fraction, seed);
  listing->has_explicit_split = g_array_index (lines, ListLine, 0).has_split;
  if (listing->has_explicit_split)
    listing->split_description = g_strdup ("split given by the list");
  else
    {
      g_autofree char *percent = g_strdup_printf ("%g", eval_fraction * 100);

      listing->split_description = g_strdup_printf ("seeded split: %s%% of each class for evaluation, seed %" G_GUINT64_FORMAT,
                                                    percent, seed);
    }

  classes = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < lines->len; i++)
    g_hash_table_add (classes, g_array_index (lines, ListLine, i).class_name);
  listing_set_classes (listing, classes);

  found = g_array_new (FALSE, TRUE, sizeof (Found));
  g_array_set_clear_func (found, found_clear);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < lines->len; i++)
    {
      const ListLine *line = &g_array_index (lines, ListLine, i);
      g_autofree char *canonical = g_canonicalize_filename (line->path, NULL);
      g_autofree char *reason = NULL;
      gpointer first_line;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (g_hash_table_lookup_extended (seen, canonical, NULL, &first_line))
        {
          g_autofree char *duplicate = g_strdup_printf ("already listed on line %u",
                                                        GPOINTER_TO_UINT (first_line));

          tz_image_listing_add_skipped (listing, line->path, duplicate);
          continue;
        }
      g_hash_table_insert (seen, g_steal_pointer (&canonical), GUINT_TO_POINTER (line->line_number));

      reason = check_image_file (line->path);
      if (reason != NULL)
        tz_image_listing_add_skipped (listing, line->path, reason);
      else
        add_found (found, line->path, line->written_path,
                   GPOINTER_TO_UINT (g_hash_table_lookup (classes, line->class_name)),
                   line->split);
    }

  if (!listing->has_explicit_split)
    assign_seeded_split (listing, found);
  listing_take_found (listing, found);

  return g_steal_pointer (&listing);
}

typedef struct
{
  const char *reason;
  GPtrArray *paths;
} ReasonGroup;

static void
reason_group_free (gpointer data)
{
  ReasonGroup *group = data;

  g_ptr_array_unref (group->paths);
  g_free (group);
}

char *
tz_image_listing_describe (const TzImageListing *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func (reason_group_free);
  g_autoptr(GHashTable) group_by_reason = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *display_name = NULL;
  guint n_train = 0;
  guint n_eval = 0;
  guint n_images;

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      if (g_array_index (self->entries, TzImageEntry, i).split == TZ_SPLIT_TRAIN)
        n_train++;
      else
        n_eval++;
    }
  n_images = n_train + n_eval;

  display_name = tz_format_display_name (self->source);
  g_string_append_printf (text, "%s: %u image%s in %u class%s, %u for training and %u for evaluation (%s)",
                          display_name,
                          n_images, n_images == 1 ? "" : "s",
                          self->n_classes, self->n_classes == 1 ? "" : "es",
                          n_train, n_eval,
                          self->split_description != NULL ? self->split_description : "split unknown");
  if (self->skipped->len > 0)
    g_string_append_printf (text, "; %u file%s skipped",
                            self->skipped->len, self->skipped->len == 1 ? "" : "s");
  g_string_append_c (text, '\n');

  for (guint i = 0; i < self->notes->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) self->notes->pdata[i]);

  for (guint c = 0; c < self->n_classes; c++)
    {
      guint train = tz_image_listing_count (self, c, TZ_SPLIT_TRAIN);
      guint eval = tz_image_listing_count (self, c, TZ_SPLIT_EVAL);
      const char *name = self->class_names[c];

      if (train + eval == 0)
        g_string_append_printf (text, "The class “%s” has no images.\n", name);
      else if (train == 0)
        g_string_append_printf (text, "The class “%s” has no training images.\n", name);
      else if (eval == 0 && (self->has_explicit_split || self->eval_fraction > 0))
        g_string_append_printf (text, "The class “%s” has no evaluation images.\n", name);
    }

  for (guint i = 0; i < self->skipped->len; i++)
    {
      const TzSkippedFile *skipped = self->skipped->pdata[i];
      ReasonGroup *group = g_hash_table_lookup (group_by_reason, skipped->reason);

      if (group == NULL)
        {
          group = g_new0 (ReasonGroup, 1);
          group->reason = skipped->reason;
          group->paths = g_ptr_array_new ();
          g_ptr_array_add (groups, group);
          g_hash_table_insert (group_by_reason, skipped->reason, group);
        }
      g_ptr_array_add (group->paths, skipped->path);
    }

  for (guint i = 0; i < groups->len; i++)
    {
      const ReasonGroup *group = groups->pdata[i];
      guint shown = MIN (group->paths->len, DESCRIBE_MAX_PATHS);

      g_string_append_printf (text, "Skipped, %s: %u file%s\n",
                              group->reason, group->paths->len, group->paths->len == 1 ? "" : "s");
      for (guint j = 0; j < shown; j++)
        {
          g_autofree char *path = tz_format_display_name (group->paths->pdata[j]);

          g_string_append_printf (text, "  %s\n", path);
        }
      if (group->paths->len > shown)
        g_string_append_printf (text, "  … and %u more\n", group->paths->len - shown);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
