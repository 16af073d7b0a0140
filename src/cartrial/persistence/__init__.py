"""Persistence of the coordinators' workspace: SQLAlchemy 2 tables, repositories, migrations."""
