"""An upload handler with a hard limit (settings.FILE_UPLOAD_HANDLERS).

Uploads go to a temporary file a chunk at a time. Beyond HOTLINE_MAX_UPLOAD_BYTES the temporary
file is deleted and the rest of the body is read and dropped, so neither memory nor disk holds
more than the limit; the form then receives an empty `OversizeUpload` that knows how big the
upload was, and the attach action refuses it with the limit in the message, like any oversize
file. (Dropping the connection instead would leave the browser without the message.)
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class OversizeUpload(UploadedFile):
    """What is left of an upload past the limit: its name and size, no content."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    # One handler per request. The limit counts every file of the request together: a form
    # carries one evidence file, and a hundred files of 19 MB must not fill the disk either.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.over:
            return None
        if self.written + len(raw_data) > settings.HOTLINE_MAX_UPLOAD_BYTES:
            self.over = True
            self.file.close()  # a NamedTemporaryFile: closing it deletes it
            return None
        self.file.write(raw_data)
        self.written += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.over:
            # past the limit with the files before it, it is over the limit however small itself
            size = max(file_size, settings.HOTLINE_MAX_UPLOAD_BYTES + 1)
            return OversizeUpload(self.file_name, self.content_type, size, self.charset)
        return super().file_complete(file_size)
