"""Use cases: thin orchestration over the library, shared by the CLI, the API and the web app."""
