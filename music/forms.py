"""Forms of the My music page (the streaming-history upload, the sync settings) and the `next` of a plain POST."""

from django import forms
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

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


class ArtistOptionsForm(forms.Form):
    """The autocomplete's question: `field` names the parameter holding what was typed, `list` the datalist's id."""

    field = forms.RegexField(r"^[\w-]{1,60}\Z", required=False)
    list = forms.RegexField(r"^[\w-]{1,60}\Z", required=False)
    typed = forms.CharField(required=False, max_length=2000, strip=False)  # NUL refused, as by every CharField

    def __init__(self, data):
        field = data.get("field", "q")
        super().__init__({**{key: data.get(key, "") for key in ("field", "list")}, "typed": data.get(field, "")})

    def answer(self) -> tuple[str, str]:
        """What was typed ("" when it cannot be a name) and the datalist's id (the form's own when not given)."""
        self.is_valid()
        return self.cleaned_data.get("typed", ""), self.cleaned_data.get("list") or "artist-options"


class NextForm(forms.Form):
    """Where a plain POST goes back to: its `next`, if that is a page on this site (mixes uses it too)."""

    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, data, *, request: HttpRequest):
        super().__init__(data)
        self.request = request

    def clean_next(self) -> str:
        target = self.cleaned_data["next"]
        hosts = {self.request.get_host()}
        # Another site is not an error to show: the view's own page is the answer, as Django's sign-in does.
        # Only a path is taken: `redirect` would read "foo" as a URL name and fail after the action was done.
        safe = url_has_allowed_host_and_scheme(target, hosts, require_https=self.request.is_secure())
        return target if safe and target.startswith("/") else ""

    def target(self, default: str) -> str:
        """The safe `next`, or else `default` (a URL or a URL name, as `redirect` takes either)."""
        return (self.is_valid() and self.cleaned_data["next"]) or default
