/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include <stdlib.h>

#include "tz-application.h"
#include "tz-gaussian-settings.h"
#include "tz-preferences-window.h"

struct _TzPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwPreferencesGroup  *features_group;
  AdwComboRow          *backbone_row;
  AdwActionRow         *weights_row;
  GtkButton            *weights_button;
  GtkButton            *weights_clear_button;
  AdwActionRow         *trained_row;
  GtkButton            *forget_button;
  AdwActionRow         *epochs_row;
  GtkSpinButton        *epochs_spin;
  AdwComboRow          *device_row;
  AdwComboRow          *layers_row;
  AdwActionRow         *image_size_row;
  GtkSpinButton        *image_size_spin;
  AdwComboRow          *covariance_row;
  AdwEntryRow          *regularization_row;
  AdwComboRow          *prior_row;
  GtkSpinButton        *eval_fraction_spin;

  /* Owned references */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (TzPreferencesWindow, tz_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const backbone_values[] = { "b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", NULL };
static const char *const device_values[] = { "auto", "cpu", "cuda", NULL };
static const char *const layers_values[] = { "auto", "penultimate", "concat", "all", "spatial", NULL };
static const char *const covariance_values[] = { "class-averaged", "pooled", "per-class", NULL };
static const char *const prior_values[] = { "uniform", "counts", NULL };

static gboolean
string_to_index (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  const char *const *values = user_data;
  const char *text = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_strcmp0 (values[i], text) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_string (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  const char *const *values = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) values))
    return NULL;
  return g_variant_new_string (values[index]);
}

static void
bind_combo (TzPreferencesWindow *self,
            const char          *key,
            AdwComboRow         *row,
            const char *const   *values)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                string_to_index, index_to_string, (gpointer) values, NULL);
}

static void
update_weights_row (TzPreferencesWindow *self)
{
  g_autofree char *weights = g_settings_get_string (self->settings, "weights");
  g_autofree char *trained = g_settings_get_string (self->settings, "trained-weights");

  if (*weights == '\0' && tz_application_uses_trained_network (self->settings))
    adw_action_row_set_subtitle (self->weights_row,
                                 _("None: the network trained here on your classes gives the features"));
  else if (*weights == '\0')
    adw_action_row_set_subtitle (self->weights_row,
                                 _("None: images are compared by their pixels until the network is trained on your first classes, from scratch, on 32-pixel images"));
  else
    {
      g_autofree char *display = g_filename_display_name (weights);
      g_autofree char *text = NULL;

      /* TRANSLATORS: the weights row's subtitle: the chosen file, then how
       * it is used */
      g_autofree char *escaped = g_markup_escape_text (display, -1);

      /* Subtitles are markup. */
      text = g_strdup_printf (_("%s\nImages are normalised as for ImageNet and seen at the network’s own size unless Image Size says otherwise: 224 pixels for B0, slow on a processor"),
                              escaped);
      adw_action_row_set_subtitle (self->weights_row, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->weights_clear_button), *weights != '\0');

  gtk_widget_set_visible (GTK_WIDGET (self->trained_row), *trained != '\0');
  if (*trained != '\0')
    {
      g_autofree char *display = g_filename_display_basename (trained);
      g_autofree char *name = g_markup_escape_text (display, -1);
      g_autofree char *text = NULL;

      if (tz_application_uses_trained_network (self->settings))
        /* TRANSLATORS: the trained network row's subtitle; %s is its file */
        text = g_strdup_printf (_("%s, in use"), name);
      else if (*weights != '\0')
        text = g_strdup_printf (_("%s, not in use while a weights file is chosen"), name);
      else
        text = g_strdup_printf (_("%s, not in use: it was trained for another network"), name);
      adw_action_row_set_subtitle (self->trained_row, text);
    }
}

static void
forget_trained (TzPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "trained-weights", "");
}

/* 0 is "Automatic": the size follows the weights. */
static gboolean
image_size_output (GtkSpinButton *spin,
                   gpointer       user_data)
{
  int value = (int) gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin));
  g_autofree char *text = value == 0 ? g_strdup (_("Automatic")) : g_strdup_printf ("%d", value);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (spin)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
image_size_input (GtkSpinButton *spin,
                  double        *new_value,
                  gpointer       user_data)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;
  long value;

  if (g_utf8_collate (text, _("Automatic")) == 0)
    {
      *new_value = 0;
      return TRUE;
    }
  value = strtol (text, &end, 10);
  if (end == text || *end != '\0' || value < 0)
    return GTK_INPUT_ERROR;
  *new_value = (double) value;
  return TRUE;
}

static void
weights_response (GtkNativeDialog     *dialog,
                  int                  response,
                  TzPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "weights", path);
    }
  g_object_unref (dialog);
}

static void
choose_weights (TzPreferencesWindow *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Choose Network Weights"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Safetensors and PyTorch Checkpoints"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_filter_add_pattern (filter, "*.pth");
  gtk_file_filter_add_pattern (filter, "*.pt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (weights_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
clear_weights (TzPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "weights", "");
}

static void
regularization_applied (TzPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->regularization_row));
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = NULL;
  TzRegularization regularization;

  if (!tz_regularization_parse (text, &regularization, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->regularization_row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->regularization_row), "error");
  canonical = tz_regularization_to_string (&regularization);
  g_settings_set_string (self->settings, "regularization", canonical);
  gtk_editable_set_text (GTK_EDITABLE (self->regularization_row), canonical);
}

static void
tz_preferences_window_finalize (GObject *object)
{
  TzPreferencesWindow *self = TZ_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tz_preferences_window_parent_class)->finalize (object);
}

static void
tz_preferences_window_class_init (TzPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = tz_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tsuzuki/Tsuzuki/ui/tz-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, features_group);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, backbone_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, weights_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, weights_button);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, weights_clear_button);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, trained_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, forget_button);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, epochs_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, image_size_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, device_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, layers_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, image_size_spin);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, covariance_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, regularization_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, prior_row);
  gtk_widget_class_bind_template_child (widget_class, TzPreferencesWindow, eval_fraction_spin);
}

static void
tz_preferences_window_init (TzPreferencesWindow *self)
{
  g_autofree char *regularization = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  bind_combo (self, "backbone", self->backbone_row, backbone_values);
  bind_combo (self, "device", self->device_row, device_values);
  bind_combo (self, "layers", self->layers_row, layers_values);
  bind_combo (self, "covariance", self->covariance_row, covariance_values);
  bind_combo (self, "prior", self->prior_row, prior_values);
  g_signal_connect (self->image_size_spin, "output", G_CALLBACK (image_size_output), NULL);
  g_signal_connect (self->image_size_spin, "input", G_CALLBACK (image_size_input), NULL);
  g_settings_bind (self->settings, "image-size",
                   gtk_spin_button_get_adjustment (self->image_size_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-epochs",
                   gtk_spin_button_get_adjustment (self->epochs_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "eval-fraction",
                   gtk_spin_button_get_adjustment (self->eval_fraction_spin), "value", G_SETTINGS_BIND_DEFAULT);

  regularization = g_settings_get_string (self->settings, "regularization");
  gtk_editable_set_text (GTK_EDITABLE (self->regularization_row), regularization);
  g_signal_connect_object (self->regularization_row, "apply", G_CALLBACK (regularization_applied), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->settings, "changed::weights", G_CALLBACK (update_weights_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::trained-weights", G_CALLBACK (update_weights_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::backbone", G_CALLBACK (update_weights_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->forget_button, "clicked", G_CALLBACK (forget_trained), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->weights_button, "clicked", G_CALLBACK (choose_weights), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->weights_clear_button, "clicked", G_CALLBACK (clear_weights), self,
                           G_CONNECT_SWAPPED);
  update_weights_row (self);
}

GtkWidget *
tz_preferences_window_new (GtkWindow  *parent,
                           const char *recipe_locked)
{
  TzPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (TZ_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  if (recipe_locked != NULL)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->backbone_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->weights_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->device_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->layers_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->image_size_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->trained_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->epochs_row), FALSE);
      adw_preferences_group_set_description (self->features_group, recipe_locked);
    }
  return GTK_WIDGET (self);
}
