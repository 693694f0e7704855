"""Forms of the My music page: the streaming-history upload and the sync settings."""

from django import forms

from music.models import SpotifySync


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class StreamingHistoryForm(forms.Form):
    files = MultipleFileField(
        label="Spotify streaming history",
        help_text=(
            "From your Spotify account data: StreamingHistory*.json, the extended Streaming_History_Audio_*.json, "
            "or the zip Spotify sent you. Up to 50 MB a file."
        ),
        widget=MultipleFileInput(attrs={"accept": ".json,.zip,application/json,application/zip"}),
    )


class SyncSettingsForm(forms.ModelForm):
    class Meta:
        model = SpotifySync
        fields = ["include_playlists"]
        labels = {"include_playlists": "Also learn from my own playlists"}
        help_texts = {"include_playlists": "The tracks of the playlists you made count as music you know."}
