"""The node's web service: a FastAPI app whose routes only parse, call the library and answer.

``create_app(settings)`` builds the app; every router comes from one list (:data:`iprisk.web.routes.ROUTERS`),
so another package's routes are one line there. ``iprisk serve`` runs it under uvicorn. See
``docs/service.md``.
"""

from iprisk.web.app import create_app
from iprisk.web.routes import ROUTERS

__all__ = ["ROUTERS", "create_app"]
