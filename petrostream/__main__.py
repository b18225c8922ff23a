"""`python -m petrostream`: the same as the `petrostream` command."""

from petrostream.cli import main

raise SystemExit(main())
