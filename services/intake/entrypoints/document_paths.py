"""The paths of the routes that take documents (multipart, with their own size limit: `documents_api`), apart
so that the JSON submission guard in `http` can leave them alone without importing the routes themselves."""

SUBMISSIONS_PREFIX = "/api/v1/submissions/"
UPLOAD_SUFFIX = "/documents"
LEAVER_WITH_DOCUMENTS_PATH = "/api/v1/submissions/leaver/with-documents"


def is_document_upload(path: str) -> bool:
    """`/api/v1/submissions/{submission_id}/documents` or the multipart leaver route."""
    if path == LEAVER_WITH_DOCUMENTS_PATH:
        return True
    if not (path.startswith(SUBMISSIONS_PREFIX) and path.endswith(UPLOAD_SUFFIX)):
        return False
    submission_id = path[len(SUBMISSIONS_PREFIX) : -len(UPLOAD_SUFFIX)]
    return bool(submission_id) and "/" not in submission_id
