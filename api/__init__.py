"""topo's HTTP API: plans as resources over a SQL store, for network architects' tools.

Layout of the package (the FastAPI "bigger applications" shape)::

    main.py       create_app(settings) and the module-level app for uvicorn
    config.py     Settings, read from TOPO_* environment variables
    routes/       one router per resource: plans, scenarios, layouts, catalog, health
    deps.py       dependencies as Annotated aliases: settings, store, runner, body, API key
    schemas.py    request and response schemas (PlanPublic, ...), topo's JSON Schemas
    body.py       reading a JSON or YAML scenario from a request body
    errors.py     API errors and the one table mapping errors to status codes
    limits.py     request body size limit
    store.py      the plan store (SQLAlchemy): plans, progress, output files
    jobs.py       background plans, each in its own process, at most N at once
    installed.py  existing: {plan: <id>}: the files of a stored plan a scenario builds on
    worker.py     what runs in a plan's process

The API holds no planning logic: routes validate, call topo, and shape the answer.
"""

__all__: list[str] = []
