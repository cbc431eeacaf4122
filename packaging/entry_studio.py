"""PyInstaller script of the ``llmspell-studio`` executable (windowed): the IDE, or a worker (see llmspell_entry)."""
import sys

from llmspell_entry import main

sys.exit(main("studio"))
