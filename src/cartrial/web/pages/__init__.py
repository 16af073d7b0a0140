"""Server-rendered pages (Jinja2 + htmx). Every state-changing request carries a CSRF token."""

from fastapi import APIRouter, Depends

from cartrial.web.deps import csrf_protect
from cartrial.web.pages import (
    auth,
    conduct,
    engage,
    finder,
    population,
    prescreen,
    public,
    sites,
    trial_course,
    workspace,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(prescreen.router)
router.include_router(public.router)
router.include_router(trial_course.router)
router.include_router(auth.router)
router.include_router(workspace.router)
router.include_router(finder.router)
router.include_router(engage.router)
router.include_router(conduct.router)
router.include_router(population.router)
router.include_router(sites.router)

__all__ = ["router"]
