"""PyInstaller script of the ``llmspell`` executable (console): the CLI, or a worker (see llmspell_entry)."""
import sys

from llmspell_entry import main

sys.exit(main("cli"))
