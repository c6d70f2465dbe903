"""`python -m app` is the same as the `rotokit` command."""

from app.cli import main

raise SystemExit(main())
