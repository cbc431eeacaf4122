"""PyInstaller script of the ``llmspell-studio`` executable (windowed): the IDE, or a worker (see llmspell_entry)."""
import sys

from llmspell_entry import kind_for_program, main

# Started through a link named ``llmspell`` (the Linux packages ship the CLI as a link to this executable, so the
# bundle carries the Python archive once instead of twice) it is the CLI.
sys.exit(main(kind_for_program(sys.argv[0])))
