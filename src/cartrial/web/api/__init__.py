"""REST API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, explorer at ``/api/docs``)."""

from fastapi import APIRouter

from cartrial.web.api import admin, conduct, engage, finder, patients, screen, tools, trials

router = APIRouter(prefix="/api/v1")
router.include_router(trials.router)
router.include_router(screen.router)
router.include_router(tools.router)
router.include_router(patients.router)
router.include_router(finder.router)
router.include_router(engage.router)
router.include_router(conduct.router)
router.include_router(admin.router)

__all__ = ["router"]
