from cme_runtime.process import serve
from services.review.app import MIGRATIONS, create_app
from services.review.settings import ReviewSettings

serve(ReviewSettings(), create_app, MIGRATIONS)
