"""``python -m app.ui`` starts the IDE."""

import sys

from app.ui.main import main

sys.exit(main())
