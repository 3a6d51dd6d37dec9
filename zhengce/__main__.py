"""``python -m zhengce``: the same as the ``zhengce`` command."""

from zhengce.cli import main

main()
