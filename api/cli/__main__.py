"""``python -m api.cli``: the ``shetu`` command."""

from api.cli import main

main()
