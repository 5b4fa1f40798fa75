import sys

from recado.cli.main import main

sys.exit(main())
